import { createServer as createHttpServer, request, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { address, httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';
import { Stats } from '../stats/stats-store.ts';
import { compileHealthChecks } from './health-check-config.ts';
import { HealthChecker, judgeHttp, judgeTcp } from './health-checker.ts';
import { Host } from './upstream-host.ts';

const servers: (Server | HttpServer)[] = [];

function listen(server: Server | HttpServer): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

afterAll(() => {
  for (const s of servers) s.close();
});

/** Resolves when `condition` holds, checking after each turn of the timers. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('verdicts', () => {
  it('judges an HTTP reply by its status, waiting for the whole head', () => {
    const expected: [number, number][] = [[200, 201], [204, 205]];
    expect(judgeHttp(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 0'), expected)).toBeUndefined();
    expect(judgeHttp(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'), expected)).toBe('pass');
    expect(judgeHttp(Buffer.from('HTTP/1.1 503 Unavailable\r\n\r\n'), expected)).toBe('fail-now');
    expect(judgeHttp(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'), expected)).toBe('fail');
  });

  it('judges a TCP reply by its payloads in order', () => {
    const receive = [Buffer.from('PO'), Buffer.from('NG')];
    expect(judgeTcp(Buffer.from('xPOyNG'), receive)).toBe('pass');
    expect(judgeTcp(Buffer.from('NGPO'), receive)).toBeUndefined();
  });

  it('names bad config', () => {
    const check = (hc: object) => () => compileHealthChecks({ health_checks: [{ timeout: '1s', interval: '1s', unhealthy_threshold: 1, healthy_threshold: 1, ...hc }] }, 'C');
    expect(check({ http_health_check: { path: 'nope' } })).toThrow(/C.health_checks\[0\].http_health_check.path: must be an origin-form path/);
    expect(check({ tcp_health_check: { send: { text: 'zz' } } })).toThrow(/C.health_checks\[0\].tcp_health_check.send.text: must be hex bytes/);
    expect(check({ grpc_health_check: {} })).toThrow(/C.health_checks\[0\].grpc_health_check: not supported/);
    expect(check({ http_health_check: { path: '/', expected_statuses: [{ start: 300, end: 200 }] } })).toThrow(/expected_statuses\[0\]: end \(200\) must be greater/);
    expect(check({ interval: '0s', tcp_health_check: {} })).toThrow(/C.health_checks\[0\].interval: must be greater than 0s/);
  });
});

describe('TCP health checks', () => {
  it('passes a host that answers the payload, fails one that stays silent past the timeout, after the threshold', async () => {
    const pong = await listen(createServer((s) => s.on('data', (d) => d.toString() === 'PING' && s.end('PONG'))).on('error', () => {}));
    const silent = await listen(createServer((s) => s.on('error', () => {})));
    const [config] = compileHealthChecks({
      health_checks: [{ timeout: '0.05s', interval: '0.01s', unhealthy_threshold: 2, healthy_threshold: 1, tcp_health_check: { send: { text: '50494e47' }, receive: [{ text: '504f4e47' }] } }],
    }, 'C');
    const good = new Host('127.0.0.1', pong);
    const bad = new Host('127.0.0.1', silent);
    const events: string[] = [];
    const stats = new Stats();
    const checker = new HealthChecker(config, 'c', (host, healthy) => events.push(`${host === good ? 'good' : 'bad'} ${healthy}`), stats);
    checker.setHosts([good, bad]);
    expect(good.activeHealthFailed && bad.activeHealthFailed).toBe(true);
    await until(() => events.length > 0 && stats.counter('cluster.c.health_check.failure').value >= 4);
    checker.destroy();
    // New hosts start failed; one pass is enough for the first check. The silent one never passes.
    expect(events).toEqual(['good true']);
    expect(bad.activeHealthFailed).toBe(true);
    expect(stats.gauge('cluster.c.health_check.healthy').value).toBe(1);
  });
});

describe('HTTP health checks through the proxy', () => {
  let proxy: ProxyServer;
  let port: number;
  const hits = { a: 0, b: 0 };
  let bHealthy = false;

  beforeAll(async () => {
    const a = await listen(createHttpServer((req, res) => {
      if (req.url === '/healthz') return void res.end();
      hits.a++;
      res.end('a');
    }));
    const b = await listen(createHttpServer((req, res) => {
      if (req.url === '/healthz') {
        res.statusCode = bHealthy ? 204 : 503;
        return void res.end();
      }
      hits.b++;
      res.end('b');
    }));
    port = await freePort();
    const bootstrap = compileBootstrap({
      admin: { address: address(0) },
      static_resources: {
        listeners: [listener('http', port, [httpFilter('hc', { route_config: routeConfig('local', [{ match: { prefix: '/' }, route: { cluster: 'checked' } }]) })])],
        clusters: [staticCluster('checked', [{ port: a }, { port: b }], {
          health_checks: [{
            timeout: '0.5s', interval: '0.02s', unhealthy_threshold: 3, healthy_threshold: 2,
            http_health_check: { path: '/healthz', expected_statuses: [{ start: 200, end: 201 }, { start: 204, end: 205 }] },
          }],
        })],
      },
    });
    proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 100, concurrency: 1 });
    await proxy.start();
  });

  afterAll(async () => {
    await proxy.stop(0);
  });

  const get = (path: string): Promise<string> => new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: path.startsWith('/clusters') ? proxy.adminPort as number : port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject).end();
  });
  const healthy = () => proxy.stats.gauge('cluster.checked.health_check.healthy').value;

  it('sends no traffic to a host whose check fails, shows it in /clusters, and brings it back after healthy_threshold passes', async () => {
    await until(() => healthy() === 1 && proxy.stats.counter('cluster.checked.health_check.failure').value > 0);
    for (let i = 0; i < 6; i++) expect(await get('/x')).toBe('a');
    expect(hits.b).toBe(0);
    const clusters = await get('/clusters');
    expect(clusters).toMatch(new RegExp(`checked::127\\.0\\.0\\.1:\\d+::health_flags::/failed_active_hc`));
    expect(clusters).toMatch(/checked::127\.0\.0\.1:\d+::health_flags::healthy/);
    expect(await get('/clusters?format=json')).toContain('"failed_active_health_check": true');
    bHealthy = true;
    await until(() => healthy() === 2);
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) answers.add(await get('/x'));
    expect([...answers].sort()).toEqual(['a', 'b']);
  });
});
