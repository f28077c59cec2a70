import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DnsForwarder, upstreamsOf } from './dns-forwarder.ts';

// Real sockets on loopback: a client, the forwarder, and resolvers the test runs itself that
// answer every question with 192.0.2.53 and note what they were asked.

/** The question of a query as its wire bytes (from after the header to the end). */
function answerTo(query: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8180, 2); // a response, recursion available, no error
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 6);
  // The answer names the question by pointer (offset 12), class IN, type A, TTL 60.
  const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 53]);
  return Buffer.concat([header, query.subarray(12), answer]);
}

function questionFor(name: string, id: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // recursion desired
  header.writeUInt16BE(1, 4);
  const labels = name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

function nameIn(query: Buffer): string {
  const labels: string[] = [];
  for (let at = 12; query[at] !== 0; at += query[at] + 1) labels.push(query.subarray(at + 1, at + 1 + query[at]).toString());
  return labels.join('.');
}

interface FakeResolver {
  port: number;
  asked: string[];
  close: () => Promise<void>;
}

/** A resolver on 127.0.0.1, UDP and TCP on one port; a silent one never answers. */
async function fakeResolver(silent = false): Promise<FakeResolver> {
  const asked: string[] = [];
  const connections = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    connections.add(socket);
    socket.on('data', (data: Buffer) => {
      asked.push(`tcp ${nameIn(data.subarray(2))}`);
      const reply = answerTo(data.subarray(2));
      const length = Buffer.alloc(2);
      length.writeUInt16BE(reply.length);
      if (!silent) socket.end(Buffer.concat([length, reply]));
    });
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const port = (tcp.address() as AddressInfo).port;
  const udp: UdpSocket = createSocket('udp4');
  udp.on('message', (message, peer) => {
    asked.push(`udp ${nameIn(message)}`);
    if (!silent) udp.send(answerTo(message), peer.port, peer.address);
  });
  udp.bind(port, '127.0.0.1');
  await once(udp, 'listening');
  return {
    port,
    asked,
    close: async () => {
      udp.close();
      for (const socket of connections) socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    },
  };
}

let resolvers: FakeResolver[] = [];
let forwarder: DnsForwarder | undefined;
let errors: string[] = [];

beforeEach(() => {
  errors = [];
});

afterEach(async () => {
  await forwarder?.close();
  forwarder = undefined;
  await Promise.all(resolvers.map((r) => r.close()));
  resolvers = [];
});

async function forwarderTo(upstreams: FakeResolver[], timeoutMs = 2_000): Promise<DnsForwarder> {
  resolvers.push(...upstreams);
  forwarder = await DnsForwarder.listen({ address: '127.0.0.1', port: 0, upstreams: upstreams.map((r) => ({ host: '127.0.0.1', port: r.port })), timeoutMs, onError: (message) => errors.push(message) });
  return forwarder;
}

function resolverThrough(port: number): Resolver {
  const resolver = new Resolver({ timeout: 3_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  return resolver;
}

/** Sends framed questions on one TCP connection and collects the framed answers. */
async function askOverTcp(port: number, queries: Buffer[]): Promise<Buffer[]> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  for (const query of queries) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(query.length);
    socket.write(Buffer.concat([length, query]));
  }
  const answers: Buffer[] = [];
  let received = Buffer.alloc(0);
  for await (const chunk of socket) {
    received = Buffer.concat([received, chunk as Buffer]);
    while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
      answers.push(received.subarray(2, 2 + received.readUInt16BE(0)));
      received = received.subarray(2 + received.readUInt16BE(0));
    }
    if (answers.length === queries.length) break;
  }
  socket.destroy();
  return answers;
}

describe('the DNS forwarder on the pods network', { timeout: 15_000 }, () => {
  it('relays a UDP question to the machine resolver and its answer back', async () => {
    const upstream = await fakeResolver();
    const { port } = await forwarderTo([upstream]);
    expect(await resolverThrough(port).resolve4('books.example.test')).toEqual(['192.0.2.53']);
    expect(upstream.asked).toEqual(['udp books.example.test']);
  });

  it('relays TCP questions, several on one connection', async () => {
    const upstream = await fakeResolver();
    const { port } = await forwarderTo([upstream]);
    const answers = await askOverTcp(port, [questionFor('one.example.test', 7), questionFor('two.example.test', 8)]);
    expect(answers.map((a) => a.readUInt16BE(0)).sort()).toEqual([7, 8]);
    expect(answers.every((a) => a.subarray(-4).equals(Buffer.from([192, 0, 2, 53])))).toBe(true);
    expect(upstream.asked.sort()).toEqual(['tcp one.example.test', 'tcp two.example.test']);
  });

  it('asks the next resolver when one does not answer', async () => {
    const silent = await fakeResolver(true);
    const answering = await fakeResolver();
    const { port } = await forwarderTo([silent, answering], 200);
    expect(await resolverThrough(port).resolve4('slow.example.test')).toEqual(['192.0.2.53']);
    expect(silent.asked).toEqual(['udp slow.example.test']);
    expect(answering.asked).toEqual(['udp slow.example.test']);
  });

  it('reports a question nobody answered and keeps serving; drops what is not DNS', async () => {
    const silent = await fakeResolver(true);
    const { port } = await forwarderTo([silent], 100);
    const client = createSocket('udp4');
    client.send(Buffer.from('not dns'), port, '127.0.0.1');
    client.send(questionFor('lost.example.test', 9), port, '127.0.0.1');
    await expect.poll(() => errors).toEqual([`dns forwarder: 127.0.0.1: no upstream resolver answered (127.0.0.1:${silent.port} no answer within 100 ms)`]);
    client.close();
    expect(silent.asked).toEqual(['udp lost.example.test']);
  });

  it('takes its resolvers from resolv.conf and refuses to start without any', async () => {
    expect(upstreamsOf('# the machine\nsearch example.test\nnameserver 10.255.255.53\nnameserver fe80::1%eth0 ; scoped\nnameserver bogus\noptions ndots:1\n')).toEqual([
      { host: '10.255.255.53', port: 53 },
      { host: 'fe80::1%eth0', port: 53 },
    ]);
    await expect(DnsForwarder.listen({ address: '127.0.0.1', port: 0, upstreams: [] })).rejects.toThrow('dns forwarder: no upstream resolver (no nameserver line in the resolv.conf)');
    await expect(DnsForwarder.listen({ address: 'bridge', upstreams: [{ host: '127.0.0.1', port: 53 }] })).rejects.toThrow('dns forwarder: bridge is not an IP address');
  });
});
