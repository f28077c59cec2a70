import { readFileSync } from 'node:fs';
import { loadDocuments, MemoryConfigStore } from '@mizzen/config';
import { normalize, type JsonObject } from '@mizzen/xds';
import { describe, expect, it } from 'vitest';
import { parseProxyNode } from '../model/proxy.ts';
import { buildPushContext, type PushContext } from '../model/push-context.ts';
import { bookinfoPush } from '../networking/test-fixtures.ts';
import { buildGrpcClusters } from './grpc-cluster.ts';
import { buildGrpcEndpoints } from './grpc-endpoint.ts';
import { buildGrpcListeners } from './grpc-listener.ts';
import { isProxylessGrpc } from './grpc-node.ts';
import { buildGrpcRoutes } from './grpc-route.ts';

const node = { id: 'sidecar~10.244.0.50~client-1.default~default.svc.cluster.local', metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' } };
const proxy = parseProxyNode(node);
const routing = ['reviews-v3-pod.yaml', 'destination-rule-all.yaml'];

/** Bookinfo with more resources, written inline. */
function pushWith(yaml: string): PushContext {
  const bookinfo = loadDocuments(readFileSync(new URL('../networking/testdata/bookinfo.yaml', import.meta.url), 'utf8'), 'bookinfo.yaml').objects;
  const extra = loadDocuments(yaml, 'extra.yaml');
  expect(extra.errors).toEqual([]);
  const store = new MemoryConfigStore();
  store.replaceAll([...bookinfo, ...extra.objects]);
  return buildPushContext(store, 'test');
}

describe('proxyless gRPC generation', () => {
  it('recognises a proxyless client by its GENERATOR metadata', () => {
    expect(isProxylessGrpc(node)).toBe(true);
    expect(isProxylessGrpc({ id: node.id, metadata: { NAMESPACE: 'default' } })).toBe(false);
    expect(isProxylessGrpc({ id: node.id })).toBe(false);
  });

  it('answers every name a client may use for a service port, and leaves out the others', () => {
    const push = bookinfoPush();
    const names = ['reviews:9080', 'reviews.default:9080', 'reviews.default.svc.cluster.local:9080', '10.96.0.11:9080', 'ratings:7070', 'reviews:7070', 'nothing:9080', 'no-port', 'reviews:x'];
    const listeners = buildGrpcListeners(push, proxy, names);
    expect(listeners.map((l) => l.name)).toEqual(['reviews:9080', 'reviews.default:9080', 'reviews.default.svc.cluster.local:9080', '10.96.0.11:9080', 'ratings:7070']);
    expect(listeners[0].api_listener).toEqual({
      api_listener: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
        stat_prefix: 'reviews:9080',
        rds: { config_source: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' }, route_config_name: 'reviews:9080' },
        http_filters: [
          { name: 'envoy.filters.http.fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } },
          { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
        ],
      },
    });
  });

  it('routes by the VirtualService, header matches and subsets included', () => {
    const push = bookinfoPush(...routing, 'virtual-service-reviews-test-v2.yaml');
    const [route] = buildGrpcRoutes(push, proxy, ['reviews:9080']);
    const host = (route.virtual_hosts as { domains: string[]; routes: { match: unknown; route: { cluster: string } }[] }[])[0];
    expect(host.domains).toContain('reviews:9080');
    expect(host.routes.map((r) => [r.match, r.route.cluster])).toEqual([
      [{ prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] }, 'outbound|9080|v2|reviews.default.svc.cluster.local'],
      [{ prefix: '/' }, 'outbound|9080|v1|reviews.default.svc.cluster.local'],
    ]);
  });

  it('weighs destinations as the VirtualService does', () => {
    const push = bookinfoPush(...routing, 'virtual-service-reviews-50-v3.yaml');
    const [route] = buildGrpcRoutes(push, proxy, ['reviews.default.svc.cluster.local:9080']);
    const routes = (route.virtual_hosts as { routes: { route: { weighted_clusters?: unknown } }[] }[])[0].routes;
    expect(routes[0].route.weighted_clusters).toEqual({
      clusters: [
        { name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 50 },
        { name: 'outbound|9080|v3|reviews.default.svc.cluster.local', weight: 50 },
      ],
    });
  });

  it('keeps fault injection of the per-route filter config', () => {
    const push = bookinfoPush(...routing, 'virtual-service-ratings-test-abort.yaml');
    const [route] = buildGrpcRoutes(push, proxy, ['ratings:9080']);
    const routes = (route.virtual_hosts as { routes: { typed_per_filter_config?: Record<string, unknown> }[] }[])[0].routes;
    expect(routes.map((r) => Object.keys(r.typed_per_filter_config ?? {}))).toEqual([['envoy.filters.http.fault'], []]);
  });

  it('leaves out what a gRPC client would reject: redirects, direct responses, CORS', () => {
    const push = pushWith(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings }
spec:
  hosts: [ratings]
  http:
  - { match: [{ uri: { prefix: /old } }], redirect: { uri: /new } }
  - { match: [{ uri: { prefix: /gone } }], directResponse: { status: 410 } }
  - { route: [{ destination: { host: ratings } }], corsPolicy: { allowOrigins: [{ exact: "https://example.com" }] } }
`);
    const [route] = buildGrpcRoutes(push, proxy, ['ratings:7070']);
    const routes = (route.virtual_hosts as { routes: JsonObject[] }[])[0].routes;
    expect(routes).toHaveLength(1);
    expect(routes[0].match).toEqual({ prefix: '/' });
    expect(routes[0].typed_per_filter_config).toBeUndefined();
  });

  it('falls back to the default route without a VirtualService', () => {
    const [route] = buildGrpcRoutes(bookinfoPush(), proxy, ['ratings:7070']);
    expect((route.virtual_hosts as { routes: unknown[] }[])[0].routes).toEqual([{ name: 'default', match: { prefix: '/' }, route: { cluster: 'outbound|7070||ratings.default.svc.cluster.local' } }]);
  });

  it('builds the named EDS clusters, subsets included, and all of them for a wildcard', () => {
    const push = bookinfoPush(...routing);
    const named = buildGrpcClusters(push, proxy, ['outbound|9080|v2|reviews.default.svc.cluster.local', 'outbound|9080|v9|reviews.default.svc.cluster.local']);
    expect(named).toEqual([
      {
        '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
        name: 'outbound|9080|v2|reviews.default.svc.cluster.local',
        type: 'EDS',
        eds_cluster_config: { service_name: 'outbound|9080|v2|reviews.default.svc.cluster.local', eds_config: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' } },
      },
    ]);
    expect(buildGrpcClusters(push, proxy, []).map((c) => c.name)).toContain('outbound|9080|v3|reviews.default.svc.cluster.local');
  });

  it('puts endpoints in a weighted locality, as gRPC requires', () => {
    const push = bookinfoPush(...routing);
    const [assignment] = buildGrpcEndpoints(push, proxy, ['outbound|9080|v1|reviews.default.svc.cluster.local']);
    const [group] = assignment.endpoints as { locality: unknown; load_balancing_weight: number; lb_endpoints: unknown[] }[];
    expect(group.locality).toEqual({});
    expect(group.load_balancing_weight).toBe(1);
    expect(group.lb_endpoints).toHaveLength(1);
  });

  it('gives an xDS-enabled server a listener for each of its inbound ports it names, and nothing else', () => {
    const server = parseProxyNode({ id: 'sidecar~10.244.0.11~reviews-v1-1.default~default.svc.cluster.local', metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' } });
    const prefix = 'xds.istio.io/grpc/lds/inbound/';
    const listeners = buildGrpcListeners(bookinfoPush(), server, [`${prefix}10.244.0.11:9080`, `${prefix}10.244.0.11:7070`, `${prefix}garbage`, `${prefix}[::]:9080`]);
    expect(listeners.map((l) => [l.name, l.address])).toEqual([
      [`${prefix}10.244.0.11:9080`, { socket_address: { address: '10.244.0.11', port_value: 9080 } }],
      [`${prefix}[::]:9080`, { socket_address: { address: '::', port_value: 9080 } }],
    ]);
    const chain = listeners[0].default_filter_chain as { filters: { typed_config: { route_config: { virtual_hosts: { routes: unknown[] }[] } } }[] };
    expect(chain.filters[0].typed_config.route_config.virtual_hosts[0].routes).toEqual([{ name: 'default', match: { prefix: '/' }, non_forwarding_action: {} }]);
    for (const listener of listeners) expect(normalize(listener['@type'] as string, listener)).toEqual(listener);
  });

  it('produces valid Envoy JSON', () => {
    const push = bookinfoPush(...routing, 'virtual-service-reviews-50-v3.yaml');
    const resources = [
      ...buildGrpcListeners(push, proxy, []),
      ...buildGrpcRoutes(push, proxy, []),
      ...buildGrpcClusters(push, proxy, []),
      ...buildGrpcEndpoints(push, proxy, []),
    ];
    expect(resources.length).toBeGreaterThan(10);
    for (const resource of resources) expect(normalize(resource['@type'] as string, resource)).toEqual(resource);
  });
});
