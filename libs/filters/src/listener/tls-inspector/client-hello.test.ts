import { createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { parseClientHello } from './client-hello.ts';

/** The first bytes node:tls sends as a client, caught by a plain TCP server. */
async function clientHello(options: { servername?: string; ALPNProtocols?: string[] }): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const received = new Promise<Buffer>((resolve) => server.once('connection', (socket) => socket.once('data', (d: Buffer) => {
    resolve(d);
    socket.destroy();
  })));
  const client = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false, ...options });
  client.on('error', () => {});
  const hello = await received;
  client.destroy();
  server.close();
  return hello;
}

describe('parseClientHello', () => {
  it('reads SNI and ALPN from a real ClientHello', async () => {
    const hello = await clientHello({ servername: 'Reviews.Default.svc.cluster.local', ALPNProtocols: ['h2', 'http/1.1'] });
    expect(parseClientHello(hello)).toEqual({ kind: 'tls', serverName: 'reviews.default.svc.cluster.local', alpn: ['h2', 'http/1.1'] });
  });

  it('reports TLS without SNI or ALPN when the client sends neither', async () => {
    expect(parseClientHello(await clientHello({}))).toEqual({ kind: 'tls', serverName: '', alpn: [] });
  });

  it('asks for more until the whole ClientHello is there, at any split', async () => {
    const hello = await clientHello({ servername: 'a.example' });
    for (const cut of [1, 2, 4, 5, 9, 60, hello.length - 1]) expect(parseClientHello(hello.subarray(0, cut))).toEqual({ kind: 'need-more' });
    expect(parseClientHello(hello).kind).toBe('tls');
  });

  it('reassembles a ClientHello split over two records', async () => {
    const hello = await clientHello({ servername: 'split.example', ALPNProtocols: ['istio'] });
    const body = hello.subarray(5);
    const record = (part: Buffer) => Buffer.concat([Buffer.from([0x16, 3, 1, part.length >> 8, part.length & 0xff]), part]);
    expect(parseClientHello(Buffer.concat([record(body.subarray(0, 40)), record(body.subarray(40))]))).toEqual({ kind: 'tls', serverName: 'split.example', alpn: ['istio'] });
  });

  it('says "not TLS" for plaintext and for garbage that starts like a record', () => {
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ kind: 'not-tls' });
    expect(parseClientHello(Buffer.from([0x16, 9]))).toEqual({ kind: 'not-tls' });
    // A handshake record that is not a ClientHello.
    expect(parseClientHello(Buffer.from([0x16, 3, 1, 0, 4, 2, 0, 0, 0]))).toEqual({ kind: 'not-tls' });
    // A ClientHello whose inner lengths run past its end.
    expect(parseClientHello(Buffer.from([0x16, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0xff, 0xff]))).toEqual({ kind: 'not-tls' });
  });
});
