import { normalize } from '@mizzen/xds';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildClusters } from './cluster-builder.ts';
import { buildEndpoints } from './endpoint-builder.ts';
import { buildGatewayListeners, buildGatewayRoutes } from './gateway-builder.ts';
import { bookinfoPush, codecLoadTimeout, expectGolden, loadEnvoyCodec, podProxy, routerProxy } from './test-fixtures.ts';
import type { JsonObject } from './envoy-json.ts';

interface Chain {
  filter_chain_match: { server_names: string[] };
  filters: { name: string; typed_config: { cluster: string; stat_prefix: string } }[];
}

beforeAll(loadEnvoyCodec, codecLoadTimeout);

describe('AUTO_PASSTHROUGH gateways', () => {
  const gateway = routerProxy('istio-ingressgateway-1', '10.244.0.2', { istio: 'ingressgateway' });
  const push = bookinfoPush('ingress-gateway-pod.yaml', 'destination-rule-all.yaml', 'gateway-auto-passthrough.yaml');

  it('matches the golden listeners', () => {
    expectGolden('gateway-auto-passthrough-listeners', buildGatewayListeners(push, gateway));
  });

  it('routes each SNI of the sni-dnat form to the cluster of that name, subsets included', () => {
    const listener = buildGatewayListeners(push, gateway).find((l) => l.name === '0.0.0.0_15443') as { listener_filters: { name: string }[]; filter_chains: Chain[] };
    expect(listener.listener_filters.map((f) => f.name)).toEqual(['envoy.filters.listener.tls_inspector']);
    for (const chain of listener.filter_chains) {
      expect(chain.filters.map((f) => f.name)).toEqual(['envoy.filters.network.tcp_proxy']);
      expect(chain.filter_chain_match.server_names).toEqual([chain.filters[0].typed_config.cluster]);
    }
    const names = listener.filter_chains.map((c) => c.filters[0].typed_config.cluster);
    expect(names).toContain('outbound_.9080_._.reviews.default.svc.cluster.local');
    expect(names).toContain('outbound_.9080_.v2_.reviews.default.svc.cluster.local');
    expect(names).toContain('outbound_.27017_._.mongodb.default.svc.cluster.local');
    expect(names).toContain('outbound_.80_._.istio-ingressgateway.istio-system.svc.cluster.local');
    // A host outside the mesh is not offered.
    expect(names.filter((n) => n.includes('api.example.com'))).toEqual([]);
    // No VirtualService is involved, so there are no routes.
    expect(buildGatewayRoutes(push, gateway)).toEqual([]);
  });

  it('admits only the namespace a server host names', () => {
    const listener = buildGatewayListeners(push, gateway).find((l) => l.name === '0.0.0.0_15444') as { filter_chains: Chain[] };
    const names = listener.filter_chains.map((c) => c.filters[0].typed_config.cluster);
    expect(names).toContain('outbound_.9080_.v1_.productpage.default.svc.cluster.local');
    expect(names.filter((n) => !n.endsWith('.default.svc.cluster.local'))).toEqual([]);
  });

  it('gives the gateway a copy of each outbound cluster under its SNI name, sharing its endpoints', () => {
    const clusters = buildClusters(push, gateway);
    const byName = new Map(clusters.map((c) => [c.name as string, c]));
    const copy = byName.get('outbound_.9080_.v2_.reviews.default.svc.cluster.local') as JsonObject;
    const original = byName.get('outbound|9080|v2|reviews.default.svc.cluster.local') as JsonObject;
    expect({ ...copy, name: original.name }).toEqual(original);
    expect((copy.eds_cluster_config as JsonObject).service_name).toBe('outbound|9080|v2|reviews.default.svc.cluster.local');
    expect(buildEndpoints(push, ['outbound|9080|v2|reviews.default.svc.cluster.local'], gateway)).toHaveLength(1);
    // Every SNI the listener offers has its cluster.
    const listener = buildGatewayListeners(push, gateway).find((l) => l.name === '0.0.0.0_15443') as { filter_chains: Chain[] };
    for (const chain of listener.filter_chains) expect(byName.has(chain.filters[0].typed_config.cluster)).toBe(true);
    expect([...byName.keys()].filter((n) => n.startsWith('outbound_.')).length).toBe(listener.filter_chains.length);
  });

  it('leaves gateways without such a server, and sidecars, without sni-dnat clusters', () => {
    const plain = bookinfoPush('ingress-gateway-pod.yaml', 'destination-rule-all.yaml', 'bookinfo-gateway.yaml');
    expect(buildClusters(plain, gateway).filter((c) => (c.name as string).startsWith('outbound_.'))).toEqual([]);
    const sidecar = podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, 'REDIRECT');
    expect(buildClusters(push, sidecar).filter((c) => (c.name as string).startsWith('outbound_.'))).toEqual([]);
  });

  it('is valid Envoy JSON', () => {
    for (const resource of [...buildGatewayListeners(push, gateway), ...buildClusters(push, gateway)]) {
      expect(normalize(resource['@type'] as string, resource)).toEqual(resource);
    }
  });
});
