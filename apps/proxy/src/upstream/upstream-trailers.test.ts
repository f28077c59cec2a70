import { once } from 'node:events';
import { connect as connectHttp2 } from 'node:http2';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, staticCluster } from '../../test/bootstrap-builder.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

let upstream: Server;
let proxy: ProxyServer;
let port: number;

beforeAll(async () => {
  // An HTTP/1.1 upstream whose chunked response ends with trailers.
  upstream = createServer((socket) => {
    socket.on('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-checksum: abc\r\ngrpc-status: 0\r\n\r\n');
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  port = await freePort();
  const routes = { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] }] };
  proxy = new ProxyServer(compileBootstrap({
    static_resources: {
      listeners: [listener('http', port, [httpFilter('in', { route_config: routes })])],
      clusters: [staticCluster('up', [{ port: (upstream.address() as AddressInfo).port }])],
    },
  }), { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
});

it('passes the trailers of a chunked HTTP/1.1 upstream response to an HTTP/2 client', async () => {
  const session = connectHttp2(`http://127.0.0.1:${port}`);
  const stream = session.request({ ':path': '/t' });
  const trailers = once(stream, 'trailers');
  let body = '';
  stream.on('data', (d: Buffer) => (body += d.toString()));
  await once(stream, 'end');
  const [fields] = (await trailers) as [Record<string, string>];
  session.close();
  expect(body).toBe('hello');
  expect(fields).toMatchObject({ 'x-checksum': 'abc', 'grpc-status': '0' });
});

it('passes them to an HTTP/1.1 client in the last chunk', async () => {
  const socket = connect({ host: '127.0.0.1', port });
  socket.write('GET /t HTTP/1.1\r\nHost: x\r\n\r\n');
  let raw = '';
  for await (const chunk of socket) {
    raw += (chunk as Buffer).toString('latin1');
    if (raw.includes('\r\n0\r\n') && raw.endsWith('\r\n\r\n')) break;
  }
  socket.destroy();
  expect(raw).toMatch(/\r\n0\r\nx-checksum: abc\r\ngrpc-status: 0\r\n\r\n$/);
});
