import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { address, httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

let upstream: Server;
let proxy: ProxyServer;
let port: number;

beforeAll(async () => {
  upstream = createServer((_req, res) => res.end('ok'));
  const upstreamPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
  port = await freePort();
  const bootstrap = compileBootstrap({
    admin: { address: address(0) },
    static_resources: {
      listeners: [listener('http', port, [httpFilter('ingress', { route_config: routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'b' } }]) })])],
      clusters: [staticCluster('b', [{ port: upstreamPort }])],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 2 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
});

describe('--concurrency 2', () => {
  it('serves one port from two threads and sums their stats', async () => {
    const clients = Array.from({ length: 24 }, () => new RawHttpClient(port));
    await Promise.all(clients.map((c) => c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
    const responses = await Promise.all(clients.map(async (c) => (await c.waitFor(1))[0]));
    for (const c of clients) c.close();
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const merged = await proxy.statEntries();
    const total = merged.find((e) => e.name === 'http.ingress.downstream_rq_total')?.value;
    expect(total).toBe(24);
    // The kernel spread the connections: the main thread saw only part of them.
    const mainOnly = proxy.stats.counter('http.ingress.downstream_rq_total').value;
    expect(mainOnly).toBeGreaterThan(0);
    expect(mainOnly).toBeLessThan(24);
    expect(merged.find((e) => e.name === 'server.concurrency')?.value).toBe(2);
  });
});
