import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, staticCluster } from '../../test/bootstrap-builder.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

let upstream: Server;
let proxy: ProxyServer;
let port: number;
const connections: Socket[] = [];

beforeAll(async () => {
  upstream = createServer((_req, res) => res.end('ok'));
  upstream.on('connection', (socket: Socket) => connections.push(socket));
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  port = await freePort();
  const options = (common: object) => ({
    typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: common,
    } },
  });
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const routes = { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [
    { match: { prefix: '/idle' }, route: { cluster: 'idle' } },
    { match: { prefix: '/' }, route: { cluster: 'few' } },
  ] }] };
  proxy = new ProxyServer(compileBootstrap({
    static_resources: {
      listeners: [listener('http', port, [httpFilter('in', { route_config: routes })])],
      clusters: [
        staticCluster('few', [{ port: upstreamPort }], options({ max_requests_per_connection: 2 })),
        staticCluster('idle', [{ port: upstreamPort }], options({ idle_timeout: '0.05s' })),
      ],
    },
  }), { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
});

async function get(path: string): Promise<number> {
  const client = new RawHttpClient(port);
  await client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const [res] = await client.waitFor(1);
  client.close();
  return res.status;
}

it('retires an HTTP/1.1 connection after max_requests_per_connection requests', async () => {
  const before = connections.length;
  for (let i = 0; i < 5; i++) expect(await get('/few')).toBe(200);
  expect(connections.length - before).toBe(3);
  expect(proxy.stats.counter('cluster.few.upstream_cx_max_requests').value).toBe(2);
});

it('closes an HTTP/1.1 connection idle for the idle_timeout', async () => {
  const before = connections.length;
  expect(await get('/idle')).toBe(200);
  const socket = connections[before];
  await once(socket, 'close');
  expect(proxy.stats.counter('cluster.idle.upstream_cx_idle_timeout').value).toBe(1);
});
