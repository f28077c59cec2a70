import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { address, httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';
import { Stats } from '../stats/stats-store.ts';
import { compileHealthChecks } from './health-check-config.ts';
import { healthShareOf } from './health-check-sharing.ts';
import { HealthChecker } from './health-checker.ts';
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

describe('a following checker', () => {
  it('sends no probes and takes every verdict from the checking one, starting from what is known', async () => {
    let answering = true;
    const upstream = await listen(createServer((s) => s.on('data', () => answering && s.end('PONG')).on('error', () => {})).on('error', () => {}));
    const [config] = compileHealthChecks({
      health_checks: [{ timeout: '0.05s', interval: '0.01s', unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: { send: { text: '50494e47' }, receive: [{ text: '504f4e47' }] } }],
    }, 'C');
    // Two proxies' worth of state, wired as the worker pool wires a worker to the main thread.
    const mainStats = new Stats();
    const workerStats = new Stats();
    const main = healthShareOf(mainStats);
    const worker = healthShareOf(workerStats);
    worker.follow(main.snapshot());
    main.subscribe((update) => worker.apply(update));

    const workerEvents: boolean[] = [];
    const follower = new HealthChecker(config, 'c', (_host, healthy) => workerEvents.push(healthy), workerStats);
    const followed = new Host('127.0.0.1', upstream);
    follower.setHosts([followed]);
    expect(followed.activeHealthFailed).toBe(true);

    const checker = new HealthChecker(config, 'c', () => {}, mainStats);
    const checked = new Host('127.0.0.1', upstream);
    checker.setHosts([checked]);
    await until(() => !followed.activeHealthFailed);
    expect(checked.activeHealthFailed).toBe(false);

    // A cluster the worker builds later (a CDS update reaching it after the main thread) starts
    // from the known verdict instead of failed.
    const late = new HealthChecker(config, 'c', () => {}, workerStats);
    const lateHost = new Host('127.0.0.1', upstream);
    late.setHosts([lateHost]);
    expect(lateHost.activeHealthFailed).toBe(false);

    answering = false;
    await until(() => followed.activeHealthFailed && lateHost.activeHealthFailed);
    checker.destroy();
    follower.destroy();
    late.destroy();
    expect(workerEvents).toEqual([true, false]);
    expect(mainStats.counter('cluster.c.health_check.attempt').value).toBeGreaterThan(1);
    // The follower counted nothing: the stats of health checking are the checking thread's.
    expect(workerStats.entries().filter((e) => e.name.includes('health_check'))).toEqual([]);
  });
});

describe('--concurrency 2 with an active health check', () => {
  it('probes each host once per interval, and every thread balances by that one verdict', async () => {
    let probes = 0;
    const upstream = await listen(createHttpServer((req, res) => {
      if (req.url === '/healthz') probes++;
      res.end('ok');
    }));
    const port = await freePort();
    const bootstrap = compileBootstrap({
      admin: { address: address(0) },
      static_resources: {
        listeners: [listener('http', port, [httpFilter('hc', { route_config: routeConfig('local', [{ match: { prefix: '/' }, route: { cluster: 'checked' } }]) })])],
        clusters: [staticCluster('checked', [{ port: upstream }], {
          // One interval lasts the whole test: the first round of checks is all there is.
          health_checks: [{ timeout: '5s', interval: '3600s', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/healthz' } }],
          // No panic routing: a thread that has no verdict yet answers 503 rather than guess.
          common_lb_config: { healthy_panic_threshold: { value: 0 } },
        })],
      },
    });
    const proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 2 });
    await proxy.start();
    try {
      // New connections are spread over both threads by the kernel; each answers 200 only once
      // it knows the host passed.
      const round = async (): Promise<number[]> => {
        const clients = Array.from({ length: 16 }, () => new RawHttpClient(port));
        await Promise.all(clients.map((c) => c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
        const statuses = await Promise.all(clients.map(async (c) => (await c.waitFor(1))[0].status));
        for (const c of clients) c.close();
        return statuses;
      };
      await until(async () => (await round()).every((s) => s === 200));
      const merged = await proxy.statEntries();
      const value = (name: string): number | undefined => merged.find((e) => e.name === name)?.value;
      const served = value('http.hc.downstream_rq_2xx') ?? 0;
      const servedByMain = proxy.stats.counter('http.hc.downstream_rq_2xx').value;
      expect(servedByMain).toBeGreaterThan(0);
      expect(servedByMain).toBeLessThan(served);
      // Both threads served through the checked host, and it saw a single probe.
      expect(probes).toBe(1);
      expect(value('cluster.checked.health_check.attempt')).toBe(1);
      expect(value('cluster.checked.health_check.healthy')).toBe(1);
    } finally {
      await proxy.stop(0);
    }
  }, 30_000);
});
