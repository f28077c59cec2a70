import { describe, expect, it } from 'vitest';
import { buildRoutes } from './http-route.ts';
import { buildListeners } from './listener-builder.ts';
import { bookinfoPush, expectGolden, podProxy } from './test-fixtures.ts';

interface Chain {
  filter_chain_match?: Record<string, unknown>;
  filters: { name: string; typed_config: { cluster?: string; rds?: { route_config_name: string } } }[];
}

describe('protocol sniffing', () => {
  const push = bookinfoPush('sniffing.yaml');
  const client = podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, 'REDIRECT');

  it('matches the golden sniffing listener', () => {
    expectGolden('listener-sniffing-8000', buildListeners(push, client).find((l) => l.name === '0.0.0.0_8000'));
  });

  it('routes HTTP the inspector detects, and proxies anything else to the VIP’s service as TCP', () => {
    const listener = buildListeners(push, client).find((l) => l.name === '0.0.0.0_8000') as { listener_filters: { name: string }[]; filter_chains: Chain[] };
    expect(listener.listener_filters.map((f) => f.name)).toEqual(['envoy.filters.listener.http_inspector']);
    expect(listener.filter_chains.map((c) => [c.filter_chain_match, c.filters[0].typed_config.rds?.route_config_name ?? c.filters[0].typed_config.cluster])).toEqual([
      [{ prefix_ranges: [{ address_prefix: '10.96.3.1', prefix_len: 32 }], application_protocols: ['http/1.1', 'h2c'] }, '8000'],
      [{ prefix_ranges: [{ address_prefix: '10.96.3.1', prefix_len: 32 }] }, 'outbound|8000||echo.default.svc.cluster.local'],
      [{ application_protocols: ['http/1.1', 'h2c'] }, '8000'],
      [undefined, 'PassthroughCluster'],
    ]);
    const [route] = buildRoutes(push, client, ['8000']) as { virtual_hosts: { name: string }[] }[];
    expect(route.virtual_hosts.map((v) => v.name)).toEqual(['echo.default.svc.cluster.local:8000', 'web.default.svc.cluster.local:8000', 'allow_any']);
  });

  it('leaves an undeclared port to TCP without capture', () => {
    const listeners = buildListeners(bookinfoPush('sniffing.yaml'), podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, 'NONE'));
    const listener = listeners.find((l) => l.name === '127.0.0.1_8000') as { filter_chains: Chain[] };
    // web declares HTTP, so the port is HTTP; an undeclared port alone would be TCP.
    expect(listener.filter_chains[0].filters[0].name).toBe('envoy.filters.network.http_connection_manager');
    const alone = bookinfoPush('sniffing.yaml');
    alone.registry.services = alone.registry.services.filter((s) => s.name !== 'web');
    const echoOnly = buildListeners(alone, podProxy('client-1', '10.244.0.50', { app: 'client' }, 'NONE')).find((l) => l.name === '127.0.0.1_8000') as { filter_chains: Chain[] };
    expect(echoOnly.filter_chains[0].filters[0].typed_config.cluster).toBe('outbound|8000||echo.default.svc.cluster.local');
  });
});
