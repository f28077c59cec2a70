import { createServer, type Server } from 'node:http';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { address, httpFilter, listener, routeConfig } from '../../test/bootstrap-builder.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

// Three upstreams that answer with their name and one that always fails, spread over priorities
// and localities of one cluster per scenario.
const servers: Server[] = [];
const ports: Record<string, number> = {};
let proxy: ProxyServer;
let port: number;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
const at = (name: string) => ({ endpoint: { address: address(ports[name]) } });
// Any 5xx ejects at once, for long enough to outlast the test; every host may go.
const ejectOnFirstFailure = { outlier_detection: { consecutive_5xx: 1, interval: '3600s', base_ejection_time: '3600s', max_ejection_percent: 100, enforcing_success_rate: 0 } };

function cluster(name: string, endpoints: object[], extra: object = {}): object {
  return { name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints }, ...extra };
}

beforeAll(async () => {
  for (const name of ['a', 'b', 'c', 'bad']) {
    const server = createServer((_req, res) => res.writeHead(name === 'bad' ? 503 : 200).end(name));
    servers.push(server);
    ports[name] = await listen(server);
  }
  port = await freePort();
  const clusters = [
    cluster('healthy', [{ lb_endpoints: [at('a'), at('b')] }, { priority: 1, lb_endpoints: [at('c')] }]),
    cluster('half', [{ lb_endpoints: [at('a'), at('bad')] }, { priority: 1, lb_endpoints: [at('c')] }], ejectOnFirstFailure),
    cluster('all', [{ lb_endpoints: [at('bad')] }, { priority: 1, lb_endpoints: [at('c')] }], ejectOnFirstFailure),
    cluster('localities', [{ load_balancing_weight: 3, lb_endpoints: [at('a')] }, { load_balancing_weight: 1, lb_endpoints: [at('b')] }],
      { common_lb_config: { locality_weighted_lb_config: {} } }),
    cluster('unweighted', [{ load_balancing_weight: 3, lb_endpoints: [at('a')] }, { load_balancing_weight: 1, lb_endpoints: [at('b')] }]),
  ];
  const routes = routeConfig('r', clusters.map((c) => {
    const name = (c as { name: string }).name;
    return { match: { prefix: `/${name}` }, route: { cluster: name } };
  }));
  const bootstrap = compileBootstrap({ static_resources: { listeners: [listener('l', port, [httpFilter('p', { route_config: routes })])], clusters } });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  agent.destroy();
  await proxy?.stop(0);
  for (const s of servers) s.close();
});

function get(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    });
    req.on('error', reject).end();
  });
}

/** Sends `n` requests, eight at a time, and counts the answers by upstream name. */
async function tally(path: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let sent = 0; sent < n; sent += 8) {
    const bodies = await Promise.all(Array.from({ length: Math.min(8, n - sent) }, () => get(path)));
    for (const body of bodies) counts[body] = (counts[body] ?? 0) + 1;
  }
  return counts;
}

/** Sends requests until the cluster has `count` hosts ejected. */
async function ejectHosts(name: string, count: number): Promise<void> {
  const ejected = () => proxy.stats.gauge(`cluster.${name}.outlier_detection.ejections_active`).value;
  for (let i = 0; i < 20 && ejected() < count; i++) await get(`/${name}`);
  expect(ejected()).toBe(count);
}

/** Bounds on a Binomial(n, p) count that a correct balancer leaves with probability below 1e-6
 *  (5.4 standard deviations, beyond the normal approximation's 1e-6 two-sided point of 4.9). */
function binomialBounds(n: number, p: number): [number, number] {
  const spread = 5.4 * Math.sqrt(n * p * (1 - p));
  return [n * p - spread, n * p + spread];
}

function expectShare(count: number | undefined, n: number, p: number): void {
  const [low, high] = binomialBounds(n, p);
  expect(count ?? 0).toBeGreaterThanOrEqual(low);
  expect(count ?? 0).toBeLessThanOrEqual(high);
}

const N = 400;

describe('priority levels', () => {
  it('sends everything to a healthy P0', async () => {
    expect(await tally('/healthy', 40)).toEqual({ a: 20, b: 20 });
  });

  it('splits by the computed loads when half of P0 is ejected: 50% x 1.4 = 70% to P0, 30% spills to P1', async () => {
    await ejectHosts('half', 1);
    const counts = await tally('/half', N);
    expect(counts.bad).toBeUndefined();
    expect((counts.a ?? 0) + (counts.c ?? 0)).toBe(N);
    expectShare(counts.a, N, 0.7);
  });

  it('sends everything to P1 once P0 is all ejected', async () => {
    await ejectHosts('all', 1);
    expect(await tally('/all', 40)).toEqual({ c: 40 });
  });
});

describe('locality weighted load balancing', () => {
  it('splits 3:1 by locality weight, about 75/25', async () => {
    const counts = await tally('/localities', N);
    expect((counts.a ?? 0) + (counts.b ?? 0)).toBe(N);
    expectShare(counts.a, N, 0.75);
  });

  it('ignores locality weights without locality_weighted_lb_config', async () => {
    expect(await tally('/unweighted', 40)).toEqual({ a: 20, b: 20 });
  });
});
