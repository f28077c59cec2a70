import { describe, expect, it } from 'vitest';
import { clusterCells, clusterRows, parseClusterName } from './clusters-view.ts';
import { configDumpSections } from './config-dump-sections.ts';
import { fixtureDump } from './fixtures.ts';

const envoy = configDumpSections(fixtureDump('envoy-dump')).clusters;
const istiod = configDumpSections(fixtureDump('istiod-dump')).clusters;

describe('cluster view', () => {
  it("parses Istio's cluster names and leaves others whole", () => {
    expect(parseClusterName('outbound|9080|v1|reviews.default.svc.cluster.local')).toEqual({ direction: 'outbound', port: '9080', subset: 'v1', fqdn: 'reviews.default.svc.cluster.local' });
    expect(parseClusterName('inbound|9080||')).toEqual({ direction: 'inbound', port: '9080', subset: '-', fqdn: '' });
    expect(parseClusterName('BlackHoleCluster')).toEqual({ direction: '-', port: '-', subset: '-', fqdn: 'BlackHoleCluster' });
  });

  it('shows type and destination rule of an Envoy dump', () => {
    expect(clusterRows(envoy).map(clusterCells)).toEqual([
      ['', '9080', '-', 'inbound', 'ORIGINAL_DST', ''],
      ['api.shop.svc.cluster.local', '8080', '-', 'outbound', 'EDS', ''],
      ['api.shop.svc.cluster.local', '8080', 'v2', 'outbound', 'EDS', 'api-subsets.shop'],
      ['payments.example.com', '443', '-', 'outbound', 'envoy.clusters.dynamic_forward_proxy', ''],
      ['prometheus_stats', '-', '-', '-', 'STATIC', ''],
    ]);
  });

  it('filters by fqdn substring, port, subset and direction', () => {
    expect(clusterRows(istiod, { fqdn: 'reviews' }).map((r) => r.subset)).toEqual(['-', 'v1', 'v2', 'v3']);
    expect(clusterRows(istiod, { fqdn: 'ratings', port: 7070 }).map((r) => r.subset)).toEqual(['-', 'v1', 'v2']);
    expect(clusterRows(istiod, { subset: 'v3' }).map((r) => r.fqdn)).toEqual(['reviews.default.svc.cluster.local']);
    expect(clusterRows(istiod, { direction: 'inbound' }).map(clusterCells)).toEqual([['', '9080', '-', 'inbound', 'STATIC', '']]);
  });
});
