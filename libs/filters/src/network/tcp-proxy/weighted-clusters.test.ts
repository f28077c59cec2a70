import { describe, expect, it } from 'vitest';
import { pickCluster, tcpProxyClusters } from './weighted-clusters.ts';

describe('tcp_proxy weighted_clusters', () => {
  const path = 'TcpProxy';

  it('reads one cluster or weighted clusters', () => {
    expect(tcpProxyClusters({ cluster: 'a' }, path)).toEqual([{ name: 'a', weight: 1 }]);
    expect(tcpProxyClusters({ weighted_clusters: { clusters: [{ name: 'v1', weight: 80 }, { name: 'v2', weight: 20 }] } }, path)).toEqual([
      { name: 'v1', weight: 80 },
      { name: 'v2', weight: 20 },
    ]);
  });

  it.each([
    [{}, 'TcpProxy: exactly one of cluster, weighted_clusters is required'],
    [{ cluster: 'a', weighted_clusters: { clusters: [] } }, 'TcpProxy: exactly one of cluster, weighted_clusters is required'],
    [{ weighted_clusters: { clusters: [] } }, 'TcpProxy.weighted_clusters.clusters: at least one cluster is required'],
    [{ weighted_clusters: { clusters: [{ name: 'a', weight: 0 }] } }, 'TcpProxy.weighted_clusters.clusters: the weights must not all be zero'],
    [{ weighted_clusters: { clusters: [{ name: 'a', weight: -1 }] } }, 'TcpProxy.weighted_clusters.clusters[0].weight'],
    [{ weighted_clusters: { clusters: [{ weight: 1 }] } }, 'TcpProxy.weighted_clusters.clusters[0].name'],
  ])('refuses %j', (obj, message) => {
    expect(() => tcpProxyClusters(obj, path)).toThrow(message);
  });

  it('picks in proportion to the weights, never a cluster of weight zero', () => {
    const clusters = [
      { name: 'v1', weight: 80 },
      { name: 'off', weight: 0 },
      { name: 'v2', weight: 20 },
    ];
    expect(pickCluster(clusters, 0)).toBe('v1');
    expect(pickCluster(clusters, 0.7999)).toBe('v1');
    expect(pickCluster(clusters, 0.8)).toBe('v2');
    expect(pickCluster(clusters, 0.9999)).toBe('v2');
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) counts.set(pickCluster(clusters, i / 1000), (counts.get(pickCluster(clusters, i / 1000)) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ v1: 800, v2: 200 });
  });
});
