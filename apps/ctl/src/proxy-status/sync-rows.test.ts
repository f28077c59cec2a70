import { describe, expect, it } from 'vitest';
import { findProxyId, proxyName, syncCells, syncRows, typeState } from './sync-rows.ts';

/** /debug/syncz as istiod serves it: one proxy in sync, one that rejected listeners, one that
 *  has not been answered yet. */
const syncz = [
  {
    proxy: 'sidecar~10.244.1.3~reviews-v1-5f9c7-abcde.default~default.svc.cluster.local',
    istio_version: '1.0.0',
    cluster_sent: 'v3', cluster_acked: 'v3', cluster_status: 'SYNCED',
    listener_sent: 'v3', listener_acked: 'v2', listener_status: 'NACKED',
    listener_nack: { version: 'v3', nonce: 'n7', error: 'Error adding/updating listener(s) 0.0.0.0_9080: duplicate listener address and port\nmore', at: '2026-01-01T00:00:00Z' },
    route_sent: 'v3', route_acked: 'v2', route_status: 'STALE',
    endpoint_sent: '', endpoint_acked: '', endpoint_status: 'NOT SENT',
  },
  {
    proxy: 'sidecar~10.244.1.2~productpage-v1-7d6c-fghij.default~default.svc.cluster.local',
    istio_version: '1.0.0',
    cluster_sent: 'v3', cluster_acked: 'v3', cluster_status: 'SYNCED',
    listener_sent: 'v3', listener_acked: 'v3', listener_status: 'SYNCED',
    route_sent: 'v3', route_acked: 'v3', route_status: 'SYNCED',
    endpoint_sent: 'v3', endpoint_acked: 'v3', endpoint_status: 'SYNCED',
  },
];

describe('syncRows', () => {
  it('gives a row per proxy, sorted by POD.NAMESPACE, with istioctl states', () => {
    const rows = syncRows(syncz, '10.244.1.1:8080').map(syncCells);
    expect(rows).toEqual([
      ['productpage-v1-7d6c-fghij.default', 'Kubernetes', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT', '10.244.1.1:8080', '1.0.0'],
      [
        'reviews-v1-5f9c7-abcde.default',
        'Kubernetes',
        'SYNCED',
        'STALE (NACK: Error adding/updating listener(s) 0.0.0.0_9080: duplicate...)',
        'NOT SENT',
        'STALE',
        'NOT SENT',
        '10.244.1.1:8080',
        '1.0.0',
      ],
    ]);
  });

  it('decides from the versions when istiod gives no status', () => {
    expect(typeState({ cluster_sent: 'v1', cluster_acked: 'v1' }, 'cluster')).toBe('SYNCED');
    expect(typeState({ cluster_sent: 'v2', cluster_acked: 'v1' }, 'cluster')).toBe('STALE');
    expect(typeState({}, 'cluster')).toBe('NOT SENT');
    expect(typeState({ route_status: 'NACKED' }, 'route')).toBe('STALE (NACK)');
  });

  it('names what is malformed', () => {
    expect(() => syncRows({ proxies: [] }, 'x')).toThrow('istiod /debug/syncz: expected a list of proxies');
    expect(() => syncRows([42], 'x')).toThrow('istiod /debug/syncz[0]: expected an object');
    expect(() => syncRows([{ cluster_sent: 'v1' }], 'x')).toThrow('istiod /debug/syncz[0]: "proxy" is missing');
  });

  it('keeps a node id that is not a sidecar id as it is', () => {
    expect(proxyName('router~10.0.0.1~gw.istio-system~istio-system.svc.cluster.local')).toBe('gw.istio-system');
    expect(proxyName('stream-7')).toBe('stream-7');
  });
});

describe('findProxyId', () => {
  it('finds a proxy by POD.NAMESPACE, by POD in the namespace given, or by a prefix', () => {
    expect(findProxyId(syncz, 'reviews-v1-5f9c7-abcde.default')).toBe(syncz[0].proxy);
    expect(findProxyId(syncz, 'productpage', 'default')).toBe(syncz[1].proxy);
  });

  it('says when no proxy or several match', () => {
    expect(() => findProxyId(syncz, 'reviews.shop')).toThrow('proxy reviews.shop: not connected to istiod');
    expect(() => findProxyId(syncz, '')).toThrow('proxy : ambiguous, matches reviews-v1-5f9c7-abcde.default, productpage-v1-7d6c-fghij.default');
  });
});
