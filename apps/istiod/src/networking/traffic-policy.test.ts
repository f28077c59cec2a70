import { describe, expect, it } from 'vitest';
import { buildClusters } from './cluster-builder.ts';
import { buildEndpoints } from './endpoint-builder.ts';
import { bookinfoPush, expectGolden, podProxy } from './test-fixtures.ts';

const productpage = podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage', version: 'v1' }, 'REDIRECT');
type Cluster = Record<string, unknown> & { name: string };

function cluster(files: string[], name: string): Cluster {
  const found = (buildClusters(bookinfoPush(...files), productpage) as Cluster[]).find((c) => c.name === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
}

describe('DestinationRule subsets', () => {
  const files = ['reviews-v3-pod.yaml', 'destination-rule-all.yaml'];

  it('matches the golden clusters with the Bookinfo subsets', () => {
    expectGolden('clusters-subsets', buildClusters(bookinfoPush(...files), productpage));
  });

  it('adds an EDS cluster per subset, next to the service cluster', () => {
    const names = buildClusters(bookinfoPush(...files), productpage).map((c) => c.name as string).filter((n) => n.includes('reviews') || n.includes('|9080||ratings') || n.includes('|9080|v1|ratings'));
    expect(names).toEqual([
      'outbound|9080|v1|ratings.default.svc.cluster.local',
      'outbound|9080|v1|reviews.default.svc.cluster.local',
      'outbound|9080|v2|reviews.default.svc.cluster.local',
      'outbound|9080|v3|reviews.default.svc.cluster.local',
      'outbound|9080||ratings.default.svc.cluster.local',
      'outbound|9080||reviews.default.svc.cluster.local',
    ]);
    expect(cluster(files, 'outbound|9080|v2|reviews.default.svc.cluster.local')).toMatchObject({ type: 'EDS', eds_cluster_config: { service_name: 'outbound|9080|v2|reviews.default.svc.cluster.local' } });
  });

  it('gives each subset the endpoints its labels select', () => {
    const addresses = (name: string) => {
      const [assignment] = buildEndpoints(bookinfoPush(...files), [name], productpage) as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[] }[] }[];
      return assignment.endpoints.flatMap((l) => l.lb_endpoints.map((e) => e.endpoint.address.socket_address.address));
    };
    expect(addresses('outbound|9080||reviews.default.svc.cluster.local')).toEqual(['10.244.0.11', '10.244.0.12', '10.244.0.15']);
    expect(addresses('outbound|9080|v2|reviews.default.svc.cluster.local')).toEqual(['10.244.0.12']);
    expect(addresses('outbound|9080|v3|reviews.default.svc.cluster.local')).toEqual(['10.244.0.15']);
    expect(buildEndpoints(bookinfoPush(...files), ['outbound|9080|v2|ratings.default.svc.cluster.local'], productpage)).toEqual([expect.not.objectContaining({ endpoints: expect.anything() })]);
  });

  it('follows exportTo and prefers the proxy’s own namespace', () => {
    const push = bookinfoPush(...files);
    const hidden = push.destinationRules.map((r) => (r.metadata.name === 'reviews' ? { ...r, spec: { ...r.spec, exportTo: ['.'] } } : r));
    const elsewhere = podProxy('client-1', '10.244.1.5', { app: 'client' }, 'REDIRECT');
    const shop = { ...elsewhere, namespace: 'shop' };
    const names = (rules: typeof hidden, proxy = shop) => buildClusters({ ...push, destinationRules: rules }, proxy).map((c) => c.name as string).filter((n) => n.includes('|v1|reviews'));
    expect(names(push.destinationRules)).toEqual(['outbound|9080|v1|reviews.default.svc.cluster.local']);
    expect(names(hidden)).toEqual([]);
    const own = { ...hidden[1], metadata: { name: 'mine', namespace: 'shop' }, spec: { host: 'reviews.default.svc.cluster.local', subsets: [{ name: 'canary', labels: { version: 'v3' } }] } };
    expect(buildClusters({ ...push, destinationRules: [...push.destinationRules, own] }, shop).map((c) => c.name as string).filter((n) => n.includes('reviews'))).toEqual([
      'outbound|9080|canary|reviews.default.svc.cluster.local',
      'outbound|9080||reviews.default.svc.cluster.local',
    ]);
  });
});

describe('traffic policy', () => {
  const files = ['traffic-policy.yaml'];

  it('matches the golden clusters of every traffic policy setting', () => {
    expectGolden('clusters-traffic-policy', buildClusters(bookinfoPush(...files), productpage).filter((c) => (c.name as string).includes('reviews') || (c.name as string).includes('ratings')));
  });

  it('maps the connection pool, outlier detection and the port-level consistent hash', () => {
    expect(cluster(files, 'outbound|9080||reviews.default.svc.cluster.local')).toEqual({
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      name: 'outbound|9080||reviews.default.svc.cluster.local',
      type: 'EDS',
      eds_cluster_config: { service_name: 'outbound|9080||reviews.default.svc.cluster.local', eds_config: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' } },
      connect_timeout: '0.250s',
      lb_policy: 'RING_HASH',
      metadata: {
        filter_metadata: {
          istio: {
            config: '/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews',
            services: [{ host: 'reviews.default.svc.cluster.local', name: 'reviews', namespace: 'default' }],
          },
        },
      },
      ring_hash_lb_config: { minimum_ring_size: '1024' },
      circuit_breakers: { thresholds: [{ max_connections: 100, max_pending_requests: 10, max_requests: 1000, max_retries: 3, track_remaining: true }] },
      upstream_connection_options: { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 7200, keepalive_interval: 75 } },
      outlier_detection: {
        consecutive_5xx: 7,
        enforcing_consecutive_5xx: 100,
        consecutive_gateway_failure: 3,
        enforcing_consecutive_gateway_failure: 100,
        interval: '300s',
        base_ejection_time: '900s',
        max_ejection_percent: 50,
        enforcing_success_rate: 0,
      },
      common_lb_config: { healthy_panic_threshold: { value: 30 } },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          common_http_protocol_options: { idle_timeout: '60s', max_requests_per_connection: 10 },
          explicit_http_config: { http_protocol_options: {} },
        },
      },
    });
  });

  it('lets a subset replace the load balancer, keeping the rest', () => {
    expect(cluster(files, 'outbound|9080|v1|reviews.default.svc.cluster.local')).toMatchObject({ lb_policy: 'RANDOM', circuit_breakers: { thresholds: [{ max_connections: 100 }] } });
    expect(cluster(files, 'outbound|9080|v2|reviews.default.svc.cluster.local')).toMatchObject({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: '2048' } });
  });

  it('keeps HTTP/2 for gRPC ports under a consistent hash', () => {
    expect(cluster(files, 'outbound|7070||ratings.default.svc.cluster.local')).toMatchObject({
      lb_policy: 'RING_HASH',
      typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { explicit_http_config: { http2_protocol_options: {} } } },
    });
  });
});
