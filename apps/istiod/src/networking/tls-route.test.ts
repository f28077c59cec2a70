import { normalize } from '@mizzen/xds';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildListeners } from './listener-builder.ts';
import { bookinfoPush, codecLoadTimeout, expectGolden, loadEnvoyCodec, podProxy } from './test-fixtures.ts';
import type { JsonObject } from './envoy-json.ts';

interface Chain {
  filter_chain_match?: Record<string, unknown>;
  filters: { typed_config: JsonObject }[];
}

beforeAll(loadEnvoyCodec, codecLoadTimeout);

describe('TLS routes on sidecars', () => {
  const push = bookinfoPush('tls-routes.yaml');
  const productpage = (mode: 'REDIRECT' | 'NONE') => podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, mode);

  it('matches the golden TLS listener', () => {
    expectGolden('listener-tls-routes', buildListeners(push, productpage('REDIRECT')).find((l) => l.name === '10.96.5.1_443'));
  });

  it.each([
    ['REDIRECT', '10.96.5.1_443'],
    ['NONE', '127.0.0.1_443'],
  ] as const)('chooses the destination by SNI in %s mode, one chain per runtime match that applies', (mode, name) => {
    const listener = buildListeners(push, productpage(mode)).find((l) => l.name === name) as { listener_filters: { name: string }[]; filter_chains: Chain[] };
    expect(listener.listener_filters.map((f) => f.name)).toEqual(['envoy.filters.listener.tls_inspector']);
    expect(listener.filter_chains.map((c) => [c.filter_chain_match, c.filters[0].typed_config.cluster ?? c.filters[0].typed_config.weighted_clusters])).toEqual([
      [{ server_names: ['v1.webs.example.com'] }, 'outbound|443|v1|webs.default.svc.cluster.local'],
      [
        { prefix_ranges: [{ address_prefix: '10.96.5.0', prefix_len: 24 }], server_names: ['webs.example.com'] },
        {
          clusters: [
            { name: 'outbound|443|v1|webs.default.svc.cluster.local', weight: 80 },
            { name: 'outbound|443|v2|webs.default.svc.cluster.local', weight: 20 },
          ],
        },
      ],
    ]);
    for (const l of buildListeners(push, productpage(mode))) expect(normalize(l['@type'] as string, l)).toEqual(l);
  });

  it('routes a TLS port to its service when no VirtualService has tls routes for it', () => {
    const plain = bookinfoPush('tls-routes.yaml');
    plain.virtualServices = [];
    const listener = buildListeners(plain, productpage('REDIRECT')).find((l) => l.name === '10.96.5.1_443') as { listener_filters?: unknown; filter_chains: Chain[] };
    expect(listener.listener_filters).toBeUndefined();
    expect(listener.filter_chains.map((c) => [c.filter_chain_match, c.filters[0].typed_config.cluster])).toEqual([[undefined, 'outbound|443||webs.default.svc.cluster.local']]);
  });
});
