import { describe, expect, it } from 'vitest';
import { buildEndpoints } from './endpoint-builder.ts';
import { bookinfoPush, expectGolden } from './test-fixtures.ts';

describe('buildEndpoints', () => {
  const push = bookinfoPush();

  it('matches the golden load assignments', () => {
    expectGolden('endpoints', buildEndpoints(push));
  });

  it('resolves a named target port against the pods and lists both versions', () => {
    const [reviews] = buildEndpoints(push, ['outbound|9080||reviews.default.svc.cluster.local']);
    const addresses = (reviews.endpoints as { lb_endpoints: { endpoint: { address: { socket_address: unknown } } }[] }[])[0].lb_endpoints.map((e) => e.endpoint.address.socket_address);
    expect(addresses).toEqual([
      { address: '10.244.0.11', port_value: 9080 },
      { address: '10.244.0.12', port_value: 9080 },
    ]);
  });

  it('returns only the subscribed names it knows', () => {
    expect(buildEndpoints(push, ['outbound|9080||ratings.default.svc.cluster.local', 'outbound|1||nothing']).map((a) => a.cluster_name)).toEqual([
      'outbound|9080||ratings.default.svc.cluster.local',
    ]);
  });
});
