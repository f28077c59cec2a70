import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { address, httpFilter, listener, routeConfig } from '../../test/bootstrap-builder.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

const PREVIOUS_PRIORITIES = 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig';

// Priority 0 always fails; priority 1 answers.
let failing: Server;
let working: Server;
let proxy: ProxyServer;
let port: number;

const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));

beforeAll(async () => {
  failing = createServer((_req, res) => res.writeHead(503).end('p0'));
  working = createServer((_req, res) => res.end('p1'));
  const [p0, p1] = [await listen(failing), await listen(working)];
  port = await freePort();
  const retry = (extra: object) => ({ retry_on: '5xx', num_retries: 1, retry_back_off: { base_interval: '0.001s' }, ...extra });
  const routes = routeConfig('r', [
    { match: { prefix: '/other-priority' }, route: { cluster: 'tiers', retry_policy: retry({ retry_priority: { name: 'envoy.retry_priorities.previous_priorities', typed_config: { '@type': PREVIOUS_PRIORITIES, update_frequency: 1 } } }) } },
    { match: { prefix: '/' }, route: { cluster: 'tiers', retry_policy: retry({}) } },
  ]);
  const bootstrap = compileBootstrap({
    static_resources: {
      listeners: [listener('l', port, [httpFilter('p', { route_config: routes })])],
      clusters: [{
        name: 'tiers', type: 'STATIC', connect_timeout: '1s',
        load_assignment: { cluster_name: 'tiers', endpoints: [{ lb_endpoints: [{ endpoint: { address: address(p0) } }] }, { priority: 1, lb_endpoints: [{ endpoint: { address: address(p1) } }] }] },
      }],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  await proxy?.stop(0);
  failing?.close();
  working?.close();
});

async function get(path: string): Promise<{ status: number; body: string }> {
  const client = new RawHttpClient(port);
  await client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const [res] = await client.waitFor(1);
  client.close();
  return { status: res.status, body: res.body.toString() };
}

describe('retry_priority previous_priorities', () => {
  it('sends the retry to the next priority once the first was tried', async () => {
    expect(await get('/other-priority')).toEqual({ status: 200, body: 'p1' });
  });

  it('without it, retries stay in the best priority', async () => {
    expect(await get('/')).toEqual({ status: 503, body: 'p0' });
  });
});
