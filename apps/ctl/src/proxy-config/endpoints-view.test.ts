import { describe, expect, it } from 'vitest';
import { configDumpSections } from './config-dump-sections.ts';
import { endpointCells, endpointRowsFromAssignments, endpointRowsFromClusterStatuses, isClusterStatuses, selectEndpoints } from './endpoints-view.ts';
import { fixtureDump } from './fixtures.ts';

const envoy = endpointRowsFromAssignments(configDumpSections(fixtureDump('envoy-dump')).endpoints);
const istiod = endpointRowsFromAssignments(configDumpSections(fixtureDump('istiod-dump')).endpoints);

describe('endpoint view', () => {
  it('shows the endpoints of an Envoy dump with their health', () => {
    expect(selectEndpoints(envoy).map(endpointCells)).toEqual([
      ['10.1.3.4:8080', 'HEALTHY', 'OK', 'outbound|8080|v2|api.shop.svc.cluster.local'],
      ['10.1.3.5:8080', 'UNHEALTHY', 'OK', 'outbound|8080|v2|api.shop.svc.cluster.local'],
      ['10.1.4.9:8080', 'DRAINING', 'OK', 'outbound|8080|v2|api.shop.svc.cluster.local'],
      ['127.0.0.1:15000', 'HEALTHY', 'OK', 'prometheus_stats'],
    ]);
  });

  it("filters istiod's endpoints by address, port, cluster and status", () => {
    expect(selectEndpoints(istiod, { address: '10.244.0.13' }).map(endpointCells)).toEqual([
      ['10.244.0.13:7070', 'HEALTHY', 'OK', 'outbound|7070||ratings.default.svc.cluster.local'],
      ['10.244.0.13:9080', 'HEALTHY', 'OK', 'outbound|9080||ratings.default.svc.cluster.local'],
    ]);
    expect(selectEndpoints(istiod, { port: 27017 }).map((r) => r.address)).toEqual(['10.244.0.14']);
    expect(selectEndpoints(istiod, { cluster: 'outbound|9080||reviews.default.svc.cluster.local' })).toHaveLength(2);
    expect(selectEndpoints(envoy, { status: 'unhealthy' }).map((r) => r.address)).toEqual(['10.1.3.5']);
  });

  it("reads Envoy's /clusters?format=json, with outlier ejections", () => {
    const statuses = {
      cluster_statuses: [
        {
          name: 'outbound|9080||reviews.default.svc.cluster.local',
          host_statuses: [
            { address: { socket_address: { address: '10.244.0.11', port_value: 9080 } }, health_status: { eds_health_status: 'HEALTHY' } },
            { address: { socket_address: { address: '10.244.0.12', port_value: 9080 } }, health_status: { eds_health_status: 'HEALTHY', failed_outlier_check: true } },
          ],
        },
      ],
    };
    expect(isClusterStatuses(statuses)).toBe(true);
    expect(isClusterStatuses({ configs: [] })).toBe(false);
    expect(endpointRowsFromClusterStatuses(statuses).map(endpointCells)).toEqual([
      ['10.244.0.11:9080', 'HEALTHY', 'OK', 'outbound|9080||reviews.default.svc.cluster.local'],
      ['10.244.0.12:9080', 'HEALTHY', 'FAILED', 'outbound|9080||reviews.default.svc.cluster.local'],
    ]);
  });
});
