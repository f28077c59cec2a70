import { normalize } from '@mizzen/xds';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildClusters } from './cluster-builder.ts';
import { buildListeners } from './listener-builder.ts';
import { bookinfoPush, codecLoadTimeout, expectGolden, loadEnvoyCodec, podProxy, routerProxy } from './test-fixtures.ts';
import type { JsonObject } from './envoy-json.ts';

interface Chain {
  name?: string;
  filter_chain_match?: Record<string, unknown>;
  filters: { name: string; typed_config: { cluster?: string } }[];
}

/** Each chain as [match, terminal filter's short name, tcp_proxy cluster]. */
function summary(chains: Chain[]): unknown[] {
  return chains.map((c) => [c.filter_chain_match, c.filters[0].name.split('.').pop(), c.filters[0].typed_config.cluster]);
}

const names = (filters: { name: string }[] | undefined) => (filters ?? []).map((f) => f.name.split('.').pop());

function protocolOptions(cluster: JsonObject | undefined): unknown {
  const options = cluster?.typed_extension_protocol_options as Record<string, JsonObject> | undefined;
  const { '@type': _type, ...rest } = options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] ?? {};
  return options ? rest : undefined;
}

beforeAll(loadEnvoyCodec, codecLoadTimeout);

describe('inbound ports by protocol', () => {
  const push = bookinfoPush('inbound-protocols.yaml');
  const captured = podProxy('mixed-1', '10.244.0.40', { app: 'mixed' }, 'REDIRECT');
  const bound = podProxy('mixed-1', '10.244.0.40', { app: 'mixed' }, 'NONE');

  it('matches the golden virtualInbound', () => {
    expectGolden('listener-inbound-protocols', buildListeners(push, captured).find((l) => l.name === 'virtualInbound'));
  });

  it('sniffs an undeclared port on virtualInbound, passes TLS through, and takes HTTP/2 as declared', () => {
    const virtualInbound = buildListeners(push, captured).find((l) => l.name === 'virtualInbound') as { listener_filters: { name: string }[]; filter_chains: Chain[]; continue_on_listener_filters_timeout?: boolean };
    // The inspectors the chains need, TLS first so that HTTP is never looked for in TLS.
    expect(names(virtualInbound.listener_filters)).toEqual(['original_dst', 'tls_inspector', 'http_inspector']);
    expect(virtualInbound.continue_on_listener_filters_timeout).toBe(true);
    expect(summary(virtualInbound.filter_chains)).toEqual([
      [{ destination_port: 7000 }, 'http_connection_manager', undefined],
      [{ destination_port: 8000, transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'h2c'] }, 'http_connection_manager', undefined],
      [{ destination_port: 8000, transport_protocol: 'raw_buffer' }, 'tcp_proxy', 'inbound|8000||'],
      [{ destination_port: 8443, transport_protocol: 'tls' }, 'tcp_proxy', 'inbound|8443||'],
      [{ destination_port: 8443, transport_protocol: 'raw_buffer' }, 'tcp_proxy', 'inbound|8443||'],
      [undefined, 'tcp_proxy', 'InboundPassthroughCluster'],
    ]);
    // Both chains of a port carry its name, as Istio names them.
    expect(virtualInbound.filter_chains.slice(1, 3).map((c) => c.name)).toEqual(['0.0.0.0_8000', '0.0.0.0_8000']);
  });

  it('keeps virtualInbound free of inspectors when every port declares HTTP or TCP', () => {
    const reviews = buildListeners(bookinfoPush(), podProxy('reviews-v2-1', '10.244.0.12', { app: 'reviews', version: 'v2' }, 'REDIRECT'));
    const virtualInbound = reviews.find((l) => l.name === 'virtualInbound') as { listener_filters: { name: string }[]; continue_on_listener_filters_timeout?: boolean };
    expect(names(virtualInbound.listener_filters)).toEqual(['original_dst']);
    expect(virtualInbound.continue_on_listener_filters_timeout).toBeUndefined();
  });

  it('gives each bound inbound listener only the inspector its own port needs (NONE)', () => {
    const listeners = buildListeners(push, bound);
    const byName = (name: string) => listeners.find((l) => l.name === name) as { listener_filters?: { name: string }[]; filter_chains: Chain[] };
    expect(names(byName('10.244.0.40_8000').listener_filters)).toEqual(['http_inspector']);
    expect(summary(byName('10.244.0.40_8000').filter_chains)).toEqual([
      [{ transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'h2c'] }, 'http_connection_manager', undefined],
      [{ transport_protocol: 'raw_buffer' }, 'tcp_proxy', 'inbound|8000||'],
    ]);
    expect(names(byName('10.244.0.40_8443').listener_filters)).toEqual(['tls_inspector']);
    expect(byName('10.244.0.40_7000').listener_filters).toBeUndefined();
    expect(summary(byName('10.244.0.40_7000').filter_chains)).toEqual([[undefined, 'http_connection_manager', undefined]]);
  });

  it('lets a sidecar’s clusters of an undeclared port follow the client’s protocol, and speaks HTTP/2 to declared gRPC', () => {
    const clusters = buildClusters(push, captured);
    const byName = (name: string) => clusters.find((c) => c.name === name);
    const followClient = { use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} } };
    const http2 = { explicit_http_config: { http2_protocol_options: {} } };
    expect(protocolOptions(byName('inbound|8000||'))).toEqual(followClient);
    expect(protocolOptions(byName('outbound|8000||mixed.default.svc.cluster.local'))).toEqual(followClient);
    expect(protocolOptions(byName('inbound|7000||'))).toEqual(http2);
    expect(protocolOptions(byName('outbound|7000||mixed.default.svc.cluster.local'))).toEqual(http2);
    // TLS and TCP are bytes to the proxy: no HTTP options.
    expect(protocolOptions(byName('inbound|8443||'))).toBeUndefined();
    expect(protocolOptions(byName('outbound|443||mixed.default.svc.cluster.local'))).toBeUndefined();
  });

  it('does not follow the client’s protocol on a gateway, which does not sniff', () => {
    const gateway = routerProxy('istio-ingressgateway-1', '10.244.0.2', { istio: 'ingressgateway' });
    const clusters = buildClusters(bookinfoPush('inbound-protocols.yaml', 'ingress-gateway-pod.yaml'), gateway);
    expect(protocolOptions(clusters.find((c) => c.name === 'outbound|8000||mixed.default.svc.cluster.local'))).toBeUndefined();
    expect(protocolOptions(clusters.find((c) => c.name === 'outbound|7000||mixed.default.svc.cluster.local'))).toEqual({ explicit_http_config: { http2_protocol_options: {} } });
  });

  it('is valid Envoy JSON in both interception modes', () => {
    for (const proxy of [captured, bound]) {
      for (const resource of [...buildListeners(push, proxy), ...buildClusters(push, proxy)]) {
        expect(normalize(resource['@type'] as string, resource)).toEqual(resource);
      }
    }
  });
});
