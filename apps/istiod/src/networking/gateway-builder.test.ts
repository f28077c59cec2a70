import { describe, expect, it } from 'vitest';
import { buildClusters } from './cluster-builder.ts';
import { buildGatewayListeners, buildGatewayRoutes } from './gateway-builder.ts';
import { buildGatewaySecrets } from './gateway-secrets.ts';
import { bookinfoPush, expectGolden, podProxy, routerProxy } from './test-fixtures.ts';

const ingress = routerProxy('istio-ingressgateway-1', '10.244.0.2', { istio: 'ingressgateway' });

describe("Bookinfo's gateway", () => {
  const push = bookinfoPush('ingress-gateway-pod.yaml', 'bookinfo-gateway.yaml');

  it('matches the golden listeners and routes', () => {
    expectGolden('gateway-bookinfo-listeners', buildGatewayListeners(push, ingress));
    expectGolden('gateway-bookinfo-routes', buildGatewayRoutes(push, ingress));
  });

  it('opens 0.0.0.0_8080 with RDS http.8080, whose virtual host routes the productpage paths', () => {
    const [listener] = buildGatewayListeners(push, ingress);
    expect(listener).toMatchObject({
      name: '0.0.0.0_8080',
      address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
      filter_chains: [{ filters: [{ typed_config: { rds: { route_config_name: 'http.8080' } } }] }],
    });
    expect(listener.bind_to_port).toBeUndefined();
    const [routes] = buildGatewayRoutes(push, ingress);
    const vhosts = routes.virtual_hosts as { name: string; domains: string[]; routes: { match: unknown; route: { cluster: string } }[] }[];
    expect(vhosts.map((v) => [v.name, v.domains])).toEqual([['*:8080', ['*']]]);
    expect(vhosts[0].routes.map((r) => r.match)).toEqual([{ path: '/productpage' }, { prefix: '/static' }, { path: '/login' }, { path: '/logout' }, { prefix: '/api/v1/products' }]);
    expect(new Set(vhosts[0].routes.map((r) => r.route.cluster))).toEqual(new Set(['outbound|9080||productpage.default.svc.cluster.local']));
  });

  it('gives a router every outbound cluster and no inbound one', () => {
    const names = buildClusters(push, ingress).map((c) => c.name as string);
    expect(names).toContain('outbound|9080||productpage.default.svc.cluster.local');
    expect(names).toContain('outbound|80||istio-ingressgateway.istio-system.svc.cluster.local');
    expect(names.filter((n) => n.startsWith('inbound|'))).toEqual([]);
  });

  it('programs nothing for a router that no Gateway selects, and leaves sidecars out', () => {
    const other = routerProxy('egress-1', '10.244.0.3', { istio: 'egressgateway' });
    expect(buildGatewayListeners(push, other)).toEqual([]);
    expect(buildGatewayRoutes(push, other)).toEqual([]);
  });

  it('answers 404 on a port whose VirtualServices are gone', () => {
    const bare = bookinfoPush('ingress-gateway-pod.yaml');
    bare.gateways = push.gateways;
    expect(buildGatewayRoutes(bare, ingress)).toMatchObject([{ name: 'http.8080', virtual_hosts: [{ name: 'blackhole:8080', routes: [{ direct_response: { status: 404 } }] }] }]);
  });
});

describe('a gateway with TLS', () => {
  const push = bookinfoPush('ingress-gateway-pod.yaml', 'gateway-tls.yaml');

  it('matches the golden listeners and routes', () => {
    expectGolden('gateway-tls-listeners', buildGatewayListeners(push, ingress));
    expectGolden('gateway-tls-routes', buildGatewayRoutes(push, ingress));
  });

  it('terminates HTTPS per SNI host with the credential over SDS, mutual where asked', () => {
    const https = buildGatewayListeners(push, ingress).find((l) => l.name === '0.0.0.0_8443') as { filter_chains: Record<string, unknown>[]; listener_filters: unknown[] };
    expect(https.listener_filters).toEqual([{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': expect.stringContaining('TlsInspector') } }]);
    expect(https.filter_chains.map((c) => c.filter_chain_match)).toEqual([{ server_names: ['bookinfo.example.com'] }, { server_names: ['reviews.example.com'] }]);
    expect(https.filter_chains[0]).toMatchObject({
      filters: [{ typed_config: { rds: { route_config_name: 'https.8443.https-bookinfo.secure-gateway.istio-system' } } }],
      transport_socket: { typed_config: { common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'kubernetes://bookinfo-cert' }], tls_params: { tls_minimum_protocol_version: 'TLSv1_2' } } } },
    });
    expect(https.filter_chains[1]).toMatchObject({
      transport_socket: {
        typed_config: {
          require_client_certificate: true,
          common_tls_context: { combined_validation_context: { validation_context_sds_secret_config: { name: 'kubernetes://reviews-cert-cacert' } } },
        },
      },
    });
  });

  it('passes TLS through by SNI to the tls routes’ clusters', () => {
    const passthrough = buildGatewayListeners(push, ingress).find((l) => l.name === '0.0.0.0_9443') as { filter_chains: { filter_chain_match: unknown; filters: { typed_config: { cluster: string } }[] }[] };
    expect(passthrough.filter_chains.map((c) => [c.filter_chain_match, c.filters[0].typed_config.cluster])).toEqual([
      [{ server_names: ['mongo.internal.example.com'] }, 'outbound|27017||mongodb.default.svc.cluster.local'],
      [{ server_names: ['ratings.internal.example.com'] }, 'outbound|7070||ratings.default.svc.cluster.local'],
    ]);
  });

  it('keeps a server host’s namespace, merges VirtualServices on a host, and redirects plain HTTP', () => {
    const routes = buildGatewayRoutes(push, ingress);
    expect(routes.map((r) => r.name)).toEqual(['http.8080', 'https.8443.https-bookinfo.secure-gateway.istio-system', 'https.8443.https-reviews.secure-gateway.istio-system']);
    const [http, bookinfo] = routes as { virtual_hosts: { name: string; domains: string[]; require_tls?: string; routes: unknown[] }[] }[];
    expect(http.virtual_hosts.map((v) => [v.name, v.domains, v.require_tls])).toEqual([['bookinfo.example.com:8080', ['bookinfo.example.com', 'bookinfo.example.com:*'], 'ALL']]);
    // bookinfo-secure's route, then reviews-secure's, both from the default namespace.
    expect(bookinfo.virtual_hosts[0].routes).toHaveLength(2);
    expect(buildGatewayRoutes(push, ingress, ['http.8080']).map((r) => r.name)).toEqual(['http.8080']);
  });

  it('serves the credentials over SDS from Secrets in the gateway’s namespace, to gateways only', () => {
    const names = ['kubernetes://bookinfo-cert', 'kubernetes://reviews-cert', 'kubernetes://reviews-cert-cacert', 'kubernetes://missing', 'default'];
    expect(buildGatewaySecrets(push, ingress, names)).toEqual([
      {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
        name: 'kubernetes://bookinfo-cert',
        tls_certificate: { certificate_chain: { inline_bytes: 'Q0VSVElGSUNBVEU=' }, private_key: { inline_bytes: 'S0VZ' } },
      },
      {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
        name: 'kubernetes://reviews-cert',
        tls_certificate: { certificate_chain: { inline_bytes: 'UkVWSUVXUyBDRVJU' }, private_key: { inline_bytes: 'UkVWSUVXUyBLRVk=' } },
      },
      { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', name: 'kubernetes://reviews-cert-cacert', validation_context: { trusted_ca: { inline_bytes: 'UkVWSUVXUyBDQQ==' } } },
    ]);
    expect(buildGatewaySecrets(push, podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, 'REDIRECT'), names)).toEqual([]);
  });
});
