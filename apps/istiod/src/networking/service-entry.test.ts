import { describe, expect, it } from 'vitest';
import { buildClusters } from './cluster-builder.ts';
import { buildEndpoints } from './endpoint-builder.ts';
import { buildRoutes } from './http-route.ts';
import { buildListeners } from './listener-builder.ts';
import { bookinfoPush, expectGolden, podProxy } from './test-fixtures.ts';

describe('ServiceEntry services', () => {
  const push = bookinfoPush('service-entries.yaml');
  const client = podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, 'REDIRECT');
  const external = (names: string[]) => names.filter((n) => /internal|httpbin|external|wikipedia/.test(n));

  it('matches the golden clusters, endpoints, listeners and routes', () => {
    expectGolden('service-entries-clusters', buildClusters(push, client).filter((c) => external([c.name as string]).length > 0));
    expectGolden('service-entries-endpoints', buildEndpoints(push, undefined, client).filter((c) => external([c.cluster_name as string]).length > 0));
    expectGolden('service-entries-listeners', buildListeners(push, client).filter((l) => ['0.0.0.0_80', '0.0.0.0_8080', '240.0.0.20_5432', '0.0.0.0_443'].includes(l.name as string)));
    expectGolden('service-entries-routes', buildRoutes(push, client, ['80', '8080']));
  });

  it('sends STATIC endpoints over EDS, with their port overrides, weights and subsets', () => {
    const [v2, all] = buildEndpoints(push, ['outbound|8080||payments.internal', 'outbound|8080|v2|payments.internal'], client) as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: unknown } }; load_balancing_weight: number }[] }[] }[];
    expect(all.endpoints[0].lb_endpoints.map((e) => [e.endpoint.address.socket_address, e.load_balancing_weight])).toEqual([
      [{ address: '10.0.1.5', port_value: 9000 }, 1],
      [{ address: '10.0.1.6', port_value: 9001 }, 3],
    ]);
    expect(v2.endpoints[0].lb_endpoints).toHaveLength(1);
  });

  it('resolves DNS entries in the proxy: their own host, or their endpoints’ names', () => {
    const clusters = buildClusters(push, client);
    expect(clusters.find((c) => c.name === 'outbound|80||httpbin.org')).toMatchObject({
      type: 'STRICT_DNS',
      load_assignment: { cluster_name: 'outbound|80||httpbin.org', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'httpbin.org', port_value: 80 } } } }] }] },
    });
    const db = clusters.find((c) => c.name === 'outbound|5432||db.external') as { load_assignment: { endpoints: { lb_endpoints: unknown[] }[] } };
    expect(db.load_assignment.endpoints[0].lb_endpoints).toHaveLength(2);
    expect(buildEndpoints(push, ['outbound|80||httpbin.org'], client)).toEqual([]);
  });

  it('passes resolution NONE through to the original destination', () => {
    expect(buildClusters(push, client).find((c) => c.name === 'outbound|443||*.wikipedia.org')).toMatchObject({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' });
  });

  it('takes the endpoints of a workloadSelector from the pods, and serves them inbound', () => {
    const [assignment] = buildEndpoints(push, ['outbound|9080||ratings-legacy.example.internal'], client);
    expect(JSON.stringify(assignment)).toContain('10.244.0.13');
    const ratings = podProxy('ratings-v1-1', '10.244.0.13', { app: 'ratings' }, 'REDIRECT');
    expect(buildClusters(push, ratings).map((c) => c.name)).toContain('inbound|9080||');
  });

  it('names a ServiceEntry host only by itself and its address in routes, and listens on its VIP for TCP', () => {
    const [route8080] = buildRoutes(push, client, ['8080']) as { virtual_hosts: { name: string; domains: string[] }[] }[];
    expect(route8080.virtual_hosts.find((v) => v.name === 'payments.internal:8080')?.domains).toEqual(['payments.internal', 'payments.internal:8080', '240.0.0.10', '240.0.0.10:8080']);
    expect(buildListeners(push, client).map((l) => l.name)).toEqual(expect.arrayContaining(['240.0.0.20_5432', '0.0.0.0_443', '0.0.0.0_80', '0.0.0.0_8080']));
  });
});
