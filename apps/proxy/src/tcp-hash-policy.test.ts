import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { listener, staticCluster, tcpFilter } from '../test/bootstrap-builder.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';

// Three upstreams that each greet with their own name.
const names = ['a', 'b', 'c'];
let upstreams: Server[] = [];
let proxy: ProxyServer;
const ports = { hashed: 0, random: 0 };

beforeAll(async () => {
  upstreams = names.map((name) => createServer((s) => s.end(name)));
  const upstreamPorts = await Promise.all(upstreams.map((u) => new Promise<number>((resolve) => u.listen(0, '127.0.0.1', () => resolve((u.address() as { port: number }).port)))));
  ports.hashed = await freePort();
  ports.random = await freePort();
  const endpoints = upstreamPorts.map((port) => ({ port }));
  const hashed = tcpFilter('hashed', 'ring');
  (hashed.typed_config as Record<string, unknown>).hash_policy = [{ source_ip: {} }];
  const bootstrap = compileBootstrap({
    static_resources: {
      listeners: [listener('hashed', ports.hashed, [hashed]), listener('random', ports.random, [tcpFilter('random', 'ring')])],
      clusters: [staticCluster('ring', endpoints, { lb_policy: 'RING_HASH' })],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  await proxy?.stop(0);
  for (const u of upstreams) u.close();
});

/** Which upstream a connection from `source` reached. */
function greeting(port: number, source: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect({ port, host: '127.0.0.1', localAddress: source });
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

describe('tcp_proxy hash_policy source_ip', () => {
  it('sends every connection of a client to one ring-hash endpoint, and clients across them', async () => {
    const sources = Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 1}`);
    const reached = new Map<string, Set<string>>();
    for (const source of sources) {
      for (let i = 0; i < 4; i++) {
        const name = await greeting(ports.hashed, source);
        reached.set(source, (reached.get(source) ?? new Set()).add(name));
      }
    }
    for (const [source, set] of reached) expect(set.size, source).toBe(1);
    expect(new Set([...reached.values()].flatMap((s) => [...s])).size).toBeGreaterThan(1);
  });

  it('without it, one client is spread over the endpoints', async () => {
    const seen = new Set<string>();
    // 60 random picks of three all landing on one endpoint: probability 3 * (1/3)^60.
    for (let i = 0; i < 60; i++) seen.add(await greeting(ports.random, '127.0.0.1'));
    expect(seen.size).toBeGreaterThan(1);
  });
});
