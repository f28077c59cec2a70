import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, routeConfig } from '../../test/bootstrap-builder.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

let upstream: Server;
let proxy: ProxyServer;
let port: number;

beforeAll(async () => {
  upstream = createServer((req, res) => res.end(`from ${req.socket.localAddress}`));
  const upstreamPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
  port = await freePort();
  const routes = routeConfig('r', [{ match: { prefix: '/' }, route: { cluster: 'by-name' } }]);
  const bootstrap = compileBootstrap({
    static_resources: {
      listeners: [listener('l', port, [httpFilter('dns', { route_config: routes })])],
      // The upstream is named, as a DNS ServiceEntry names its hosts; localhost comes from the hosts file.
      clusters: [{
        name: 'by-name', type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY', respect_dns_ttl: true, connect_timeout: '1s',
        load_assignment: { cluster_name: 'by-name', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'localhost', port_value: upstreamPort } } } }] }] },
      }],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  await proxy?.stop(0);
  upstream?.close();
});

describe('STRICT_DNS cluster', () => {
  it('resolves its host name (IPv4 only) and sends requests to the address found', async () => {
    const client = new RawHttpClient(port);
    await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('from 127.0.0.1');
  });
});
