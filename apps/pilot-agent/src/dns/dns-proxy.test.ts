import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import dnsPacket from 'dns-packet';
import { freePort } from '@mizzen/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentMetrics } from '../metrics/agent-metrics.ts';
import { DnsProxy } from './dns-proxy.ts';
import { buildLookupTable } from './name-table.ts';

// Real UDP and TCP sockets on loopback: a client, the DNS proxy, and a fake upstream resolver
// that answers every A question with 192.0.2.53 (and counts what it was asked).

const table = buildLookupTable(
  { table: { 'reviews.default.svc.cluster.local': { ips: ['10.96.0.12'], registry: 'Kubernetes', shortname: 'reviews', namespace: 'default' } } },
  'default',
);

let upstreamUdp: UdpSocket;
let upstreamTcp: Server;
let upstreamPort: number;
const askedUpstream: string[] = [];
let proxy: DnsProxy;
let proxyPort: number;
let metrics: AgentMetrics;

function upstreamAnswer(query: Buffer): Buffer {
  const packet = dnsPacket.decode(query);
  askedUpstream.push(packet.questions![0].name);
  return dnsPacket.encode({ id: packet.id, type: 'response', questions: packet.questions, answers: [{ type: 'A', name: packet.questions![0].name, ttl: 60, data: '192.0.2.53' }] });
}

beforeEach(async () => {
  askedUpstream.length = 0;
  upstreamTcp = createServer((socket) =>
    socket.on('data', (data: Buffer) => {
      const reply = upstreamAnswer(data.subarray(2));
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(reply.length);
      socket.end(Buffer.concat([prefix, reply]));
    }),
  );
  await new Promise<void>((resolve) => upstreamTcp.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstreamTcp.address() as AddressInfo).port;
  upstreamUdp = createSocket('udp4');
  upstreamUdp.on('message', (message, peer) => upstreamUdp.send(upstreamAnswer(message), peer.port, peer.address));
  await new Promise<void>((resolve) => upstreamUdp.bind(upstreamPort, '127.0.0.1', resolve));
  metrics = new AgentMetrics();
  proxyPort = await freePort();
  proxy = await DnsProxy.start({ host: '127.0.0.1', port: proxyPort, upstreams: [{ host: '127.0.0.1', port: upstreamPort }], searchDomains: ['default.svc.cluster.local'], metrics, log: () => {}, upstreamTimeoutMs: 500 });
  proxy.update(table);
});

afterEach(async () => {
  await proxy.close();
  upstreamUdp.close();
  await new Promise((resolve) => upstreamTcp.close(resolve));
});

function udpQuery(message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('message', (reply) => {
      socket.close();
      resolve(reply);
    });
    socket.on('error', reject);
    socket.send(message, proxyPort, '127.0.0.1');
  });
}

function tcpQuery(message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        socket.destroy();
        resolve(buffered.subarray(2));
      }
    });
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(message.length);
    socket.write(Buffer.concat([prefix, message]));
  });
}

const query = (name: string, type: 'A' | 'AAAA' | 'TXT' = 'A', id = 4242) =>
  dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, class: 'IN', name }] });

describe('the DNS proxy', { timeout: 10_000 }, () => {
  it('answers the mesh’s names from the table over UDP and TCP, without asking upstream', async () => {
    for (const send of [udpQuery, tcpQuery]) {
      for (const name of ['reviews', 'reviews.default', 'reviews.default.svc', 'reviews.default.svc.cluster.local']) {
        const reply = dnsPacket.decode(await send(query(name)));
        expect(reply).toMatchObject({ id: 4242, type: 'response', rcode: 'NOERROR', flag_aa: true });
        expect(reply.answers).toEqual([expect.objectContaining({ type: 'A', name, ttl: 30, data: '10.96.0.12' })]);
      }
    }
    expect(askedUpstream).toEqual([]);
    expect(metrics.value('istio_agent_dns_requests_total', { answer: 'mesh' })).toBe(8);
  });

  it('answers AAAA for an IPv4-only mesh name with no records, not an error', async () => {
    const reply = dnsPacket.decode(await udpQuery(query('reviews', 'AAAA')));
    expect(reply).toMatchObject({ rcode: 'NOERROR' });
    expect(reply.answers).toEqual([]);
    expect(askedUpstream).toEqual([]);
  });

  it('forwards other names and other types upstream, over the transport they came on', async () => {
    const udp = dnsPacket.decode(await udpQuery(query('example.org', 'A', 7)));
    expect(udp).toMatchObject({ id: 7, answers: [expect.objectContaining({ data: '192.0.2.53' })] });
    const tcp = dnsPacket.decode(await tcpQuery(query('example.net', 'A', 8)));
    expect(tcp).toMatchObject({ id: 8, answers: [expect.objectContaining({ data: '192.0.2.53' })] });
    await udpQuery(query('reviews', 'TXT'));
    expect(askedUpstream).toEqual(['example.org', 'example.net', 'reviews']);
    expect(metrics.value('istio_agent_dns_upstream_requests_total')).toBe(3);
  });

  it('answers SERVFAIL when no upstream answers, and FORMERR to a malformed query, and keeps serving', async () => {
    proxy.update(new Map());
    upstreamUdp.removeAllListeners('message');
    const failed = dnsPacket.decode(await udpQuery(query('example.org', 'A', 9)));
    expect(failed).toMatchObject({ id: 9, rcode: 'SERVFAIL', questions: [{ name: 'example.org', type: 'A' }] });
    // Node's own resolver reads it as the server failure it is, not as a broken answer.
    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([`127.0.0.1:${proxyPort}`]);
    await expect(resolver.resolve4('example.org')).rejects.toMatchObject({ code: 'ESERVFAIL' });

    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x05, 0xff]);
    for (const send of [udpQuery, tcpQuery]) {
      const reply = dnsPacket.decode(await send(garbage));
      expect(reply).toMatchObject({ id: 0x1234, type: 'response', rcode: 'FORMERR' });
    }
    proxy.update(table);
    expect(dnsPacket.decode(await udpQuery(query('reviews'))).answers).toHaveLength(1);
  });

  it('fails to start naming the address when the port is taken', async () => {
    await expect(DnsProxy.start({ host: '127.0.0.1', port: proxyPort, upstreams: [], searchDomains: [], metrics, log: () => {} })).rejects.toThrow(
      `cannot serve DNS on 127.0.0.1:${proxyPort}: bind EADDRINUSE`,
    );
  });
});
