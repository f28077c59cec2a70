import { createServer, request, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { address, httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

// What a DestinationRule's traffic policy turns into: circuit breakers and outlier detection.

interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

let proxy: ProxyServer;
let port: number;
const servers: Server[] = [];
/** Requests the holding upstream has not answered yet, and whoever waits for the next one. */
const held: ServerResponse[] = [];
let onHeld: () => void = () => {};
const hits = { good: 0, bad: 0 };
const firstTries: ServerResponse[] = [];
let onRetryHeld: (res: ServerResponse) => void = () => {};

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function send(path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once the holding upstream holds `count` requests. */
async function heldCount(count: number): Promise<void> {
  while (held.length < count) await new Promise<void>((resolve) => (onHeld = resolve));
}

function adminText(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: proxy.adminPort as number, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject).end();
  });
}

const counter = (name: string) => proxy.stats.counter(name).value;
const gauge = (name: string) => proxy.stats.gauge(name).value;

beforeAll(async () => {
  const holding = await listen(createServer((req, res) => {
    held.push(res);
    onHeld();
  }));
  const good = await listen(createServer((req, res) => {
    hits.good++;
    res.end('good');
  }));
  const bad = await listen(createServer((req, res) => {
    hits.bad++;
    res.statusCode = 503;
    res.end('bad');
  }));
  // Answers 503 to the first three requests together; holds the retry that follows until told.
  const barrier = await listen(createServer((req, res) => {
    res.statusCode = 503;
    firstTries.push(res);
    if (firstTries.length === 3) for (const r of firstTries) r.end('first try');
    else if (firstTries.length > 3) onRetryHeld(res);
  }));
  port = await freePort();
  const routes = [
    { match: { prefix: '/pool' }, route: { cluster: 'pool' } },
    { match: { prefix: '/requests' }, route: { cluster: 'requests' } },
    { match: { prefix: '/flaky' }, route: { cluster: 'flaky' } },
    { match: { prefix: '/retry' }, route: { cluster: 'retrying', retry_policy: { retry_on: '5xx', num_retries: 1, retry_back_off: { base_interval: '0.2s' } } } },
  ];
  const breakers = (limits: object) => ({ circuit_breakers: { thresholds: [{ max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 4294967295, max_retries: 4294967295, track_remaining: true, ...limits }] } });
  const bootstrap = compileBootstrap({
    admin: { address: address(0) },
    static_resources: {
      listeners: [listener('http', port, [httpFilter('rs', { route_config: routeConfig('local', routes) })])],
      clusters: [
        staticCluster('pool', [{ port: holding }], breakers({ max_connections: 1, max_pending_requests: 1 })),
        staticCluster('requests', [{ port: holding }], breakers({ max_requests: 2 })),
        staticCluster('retrying', [{ port: barrier }], breakers({ max_retries: 1 })),
        staticCluster('flaky', [{ port: good }, { port: bad }], {
          outlier_detection: { consecutive_5xx: 2, enforcing_consecutive_5xx: 100, interval: '0.05s', base_ejection_time: '0.4s', max_ejection_percent: 50, enforcing_success_rate: 0 },
          common_lb_config: { healthy_panic_threshold: {} },
        }),
      ],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 100, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  for (const res of held.splice(0)) res.end();
  await proxy.stop(0);
  for (const s of servers) s.close();
});

describe('circuit breakers', () => {
  it('queues one request past max_connections and refuses the next, at exactly the limit', async () => {
    const first = send('/pool/a');
    await heldCount(1);
    const [second, third] = [send('/pool/b'), send('/pool/c')];
    // One of the two waits for the single connection, the other overflows the pending queue.
    const overflowed = await Promise.race([second, third]);
    expect(overflowed.status).toBe(503);
    expect(overflowed.headers['x-envoy-overloaded']).toBe('true');
    expect(overflowed.body).toContain('overflow');
    expect(counter('cluster.pool.upstream_rq_pending_overflow')).toBe(1);
    expect(counter('cluster.pool.upstream_cx_overflow')).toBeGreaterThanOrEqual(2);
    held.shift()?.end('one');
    // The queued request takes over the kept-alive connection.
    await heldCount(1);
    held.shift()?.end('two');
    const replies = await Promise.all([first, second, third]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 503]);
    expect(counter('cluster.pool.upstream_cx_total')).toBe(1);
  });

  it('refuses requests past max_requests', async () => {
    const inFlight = [send('/requests/1'), send('/requests/2')];
    await heldCount(2);
    const refused = await send('/requests/3');
    expect(refused.status).toBe(503);
    expect(refused.headers['x-envoy-overloaded']).toBe('true');
    expect(counter('cluster.requests.upstream_rq_pending_overflow')).toBe(1);
    for (const res of held.splice(0)) res.end('ok');
    expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
  });
});

describe('retry budget', () => {
  it('lets max_retries retries run at once and answers the rest with their first result', async () => {
    const retryHeld = new Promise<ServerResponse>((resolve) => (onRetryHeld = resolve));
    const pending = [send('/retry/1'), send('/retry/2'), send('/retry/3')];
    // While the one retry allowed is held upstream, the other two get no retry.
    const retry = await retryHeld;
    let answered = 0;
    await new Promise<void>((resolve) => pending.forEach((p) => p.then(() => ++answered === 2 && resolve())));
    retry.end('retried');
    const replies = await Promise.all(pending);
    expect(replies.map((r) => r.status)).toEqual([503, 503, 503]);
    expect(replies.filter((r) => r.body === 'retried')).toHaveLength(1);
    expect(counter('cluster.retrying.upstream_rq_retry')).toBe(1);
    expect(counter('cluster.retrying.upstream_rq_retry_overflow')).toBe(2);
  });
});

describe('outlier detection', () => {
  it('ejects a host after consecutive 5xx and brings it back when its time is up', async () => {
    // Round robin alternates: within four requests the bad host answers its second 503.
    for (let i = 0; i < 4 && gauge('cluster.flaky.outlier_detection.ejections_active') === 0; i++) await send('/flaky');
    expect(gauge('cluster.flaky.outlier_detection.ejections_active')).toBe(1);
    const ejectedAt = performance.now();
    const badBefore = hits.bad;
    for (let i = 0; i < 10; i++) expect((await send('/flaky')).status).toBe(200);
    expect(hits.bad).toBe(badBefore);
    expect(gauge('cluster.flaky.membership_healthy')).toBe(1);
    expect(await adminText('/clusters')).toContain('::health_flags::/failed_outlier_check');
    // The ejection lasts base_ejection_time; the next interval tick brings the host back.
    while (gauge('cluster.flaky.outlier_detection.ejections_active') === 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(performance.now() - ejectedAt).toBeGreaterThanOrEqual(350);
    expect(hits.bad).toBe(badBefore);
    await send('/flaky');
    await send('/flaky');
    expect(hits.bad).toBe(badBefore + 1);
    expect(counter('cluster.flaky.outlier_detection.ejections_enforced_consecutive_5xx')).toBe(1);
  });
});
