import { readFileSync } from 'node:fs';
import { loadDocuments, MemoryConfigStore, type KubeObject } from '@mizzen/config';
import { TypeUrl, type JsonObject } from '@mizzen/xds';
import { beforeEach, describe, expect, it } from 'vitest';
import { DiscoveryServer } from './discovery-server.ts';

const bookinfo = loadDocuments(readFileSync(new URL('../networking/testdata/bookinfo.yaml', import.meta.url), 'utf8'), 'bookinfo.yaml').objects;
const node = {
  id: 'sidecar~10.244.0.10~productpage-v1-1.default~default.svc.cluster.local',
  metadata: { NAME: 'productpage-v1-1', NAMESPACE: 'default', LABELS: { app: 'productpage' }, INTERCEPTION_MODE: 'NONE' },
};

interface Sent {
  streamId: string;
  typeUrl: string;
  resources: JsonObject[];
  version: string;
}

describe('DiscoveryServer', () => {
  let store: MemoryConfigStore;
  let server: DiscoveryServer;
  let sent: Sent[];
  let logs: string[];

  beforeEach(() => {
    store = new MemoryConfigStore();
    store.replaceAll(bookinfo);
    sent = [];
    logs = [];
    server = new DiscoveryServer(store, { log: (m) => logs.push(m), debounceMs: 1 });
    server.setPusher((streamId, typeUrl, resources, version) => {
      sent.push({ streamId, typeUrl, resources, version });
    });
    return () => server.close();
  });

  it('answers each subscription with that proxy’s resources, EDS and RDS limited to the names asked for', () => {
    server.onStreamOpen({ id: 's1', node, peer: '127.0.0.1:5000' });
    server.onSubscribe('s1', TypeUrl.Cluster, []);
    server.onSubscribe('s1', TypeUrl.ClusterLoadAssignment, ['outbound|9080||reviews.default.svc.cluster.local']);
    server.onSubscribe('s1', TypeUrl.Listener, []);
    server.onSubscribe('s1', TypeUrl.RouteConfiguration, ['27017']);
    expect(sent.map((s) => [s.typeUrl, s.resources.map((r) => r.name ?? r.cluster_name)])).toEqual([
      [TypeUrl.Cluster, expect.arrayContaining(['inbound|9080||', 'outbound|9080||ratings.default.svc.cluster.local'])],
      [TypeUrl.ClusterLoadAssignment, ['outbound|9080||reviews.default.svc.cluster.local']],
      [TypeUrl.Listener, ['10.244.0.10_9080', '127.0.0.1_27017', '127.0.0.1_7070']],
      [TypeUrl.RouteConfiguration, []],
    ]);
  });

  it('pushes only the types that changed after a config change', async () => {
    server.onStreamOpen({ id: 's1', node, peer: 'p' });
    server.onSubscribe('s1', TypeUrl.Cluster, []);
    server.onSubscribe('s1', TypeUrl.ClusterLoadAssignment, ['outbound|9080||reviews.default.svc.cluster.local']);
    sent = [];
    // A third reviews pod: only the reviews endpoints change.
    const reviews = bookinfo.find((o) => o.metadata.name === 'reviews-v2-1') as KubeObject;
    const pushed = new Promise<void>((resolve) => server.setPusher((streamId, typeUrl, resources, version) => (sent.push({ streamId, typeUrl, resources, version }), resolve())));
    store.replaceAll([...bookinfo, { ...reviews, metadata: { ...reviews.metadata, name: 'reviews-v3-1' }, status: { podIP: '10.244.0.20' } }]);
    await pushed;
    expect(sent.map((s) => s.typeUrl)).toEqual([TypeUrl.ClusterLoadAssignment]);
    expect(JSON.stringify(sent[0].resources)).toContain('10.244.0.20');
  });

  it('pushes RDS for a VirtualService change, and CDS and EDS for a DestinationRule change', async () => {
    const traffic = (file: string) => loadDocuments(readFileSync(new URL(`../networking/testdata/traffic/${file}`, import.meta.url), 'utf8'), file).objects;
    server.onStreamOpen({ id: 's1', node, peer: 'p' });
    server.onSubscribe('s1', TypeUrl.Cluster, []);
    server.onSubscribe('s1', TypeUrl.ClusterLoadAssignment, ['outbound|9080|v2|reviews.default.svc.cluster.local']);
    server.onSubscribe('s1', TypeUrl.Listener, []);
    server.onSubscribe('s1', TypeUrl.RouteConfiguration, ['9080']);
    const nextPush = () => {
      sent = [];
      return new Promise<void>((resolve) => server.setPusher((streamId, typeUrl, resources, version) => (sent.push({ streamId, typeUrl, resources, version }), resolve())));
    };

    let pushed = nextPush();
    store.replaceAll([...bookinfo, ...traffic('destination-rule-all.yaml')]);
    await pushed;
    expect(sent.map((s) => s.typeUrl)).toEqual([TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment]);
    expect(sent[0].resources.map((r) => r.name)).toContain('outbound|9080|v2|reviews.default.svc.cluster.local');

    pushed = nextPush();
    store.replaceAll([...bookinfo, ...traffic('destination-rule-all.yaml'), ...traffic('virtual-service-reviews-test-v2.yaml')]);
    await pushed;
    expect(sent.map((s) => s.typeUrl)).toEqual([TypeUrl.RouteConfiguration]);
    expect(JSON.stringify(sent[0].resources)).toContain('outbound|9080|v2|reviews.default.svc.cluster.local');
  });

  it('records ACKs and NACKs per type', () => {
    server.onStreamOpen({ id: 's1', node, peer: 'p' });
    server.onSubscribe('s1', TypeUrl.Cluster, []);
    server.onSubscribe('s1', TypeUrl.Listener, []);
    const version = sent[0].version;
    server.onAck('s1', TypeUrl.Cluster, version, 'n1');
    server.onNack('s1', TypeUrl.Listener, '', 'n2', 'Listener.address: bad');
    const types = server.connections.get('s1')?.types;
    expect(types?.get(TypeUrl.Cluster)).toMatchObject({ sentVersion: version, ackedVersion: version, ackedNonce: 'n1' });
    expect(types?.get(TypeUrl.Listener)?.nack).toMatchObject({ nonce: 'n2', error: 'Listener.address: bad' });
    expect(logs.some((l) => l.includes('rejected') && l.includes('Listener.address: bad'))).toBe(true);
  });

  it('sends nothing to a stream whose node cannot be read, and says why', () => {
    server.onStreamOpen({ id: 'bad', node: { id: 'nonsense' }, peer: 'p' });
    server.onSubscribe('bad', TypeUrl.Cluster, []);
    expect(sent).toEqual([]);
    expect(server.connections.get('bad')?.error).toContain('node.id');
  });

  it('serves a gateway proxy its Gateway listeners and routes, with no sidecar listeners', () => {
    const traffic = (file: string) => loadDocuments(readFileSync(new URL(`../networking/testdata/traffic/${file}`, import.meta.url), 'utf8'), file).objects;
    store.replaceAll([...bookinfo, ...traffic('ingress-gateway-pod.yaml'), ...traffic('bookinfo-gateway.yaml')]);
    server.pushNow();
    const router = { id: 'router~10.244.0.2~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local', metadata: { LABELS: { istio: 'ingressgateway' } } };
    server.onStreamOpen({ id: 'g1', node: router, peer: 'p' });
    server.onSubscribe('g1', TypeUrl.Listener, []);
    server.onSubscribe('g1', TypeUrl.RouteConfiguration, ['http.8080']);
    expect(sent.map((s) => [s.typeUrl, s.resources.map((r) => r.name)])).toEqual([
      [TypeUrl.Listener, ['0.0.0.0_8080']],
      [TypeUrl.RouteConfiguration, ['http.8080']],
    ]);
  });

  it('forgets closed streams', () => {
    server.onStreamOpen({ id: 's1', node, peer: 'p' });
    server.onStreamClose('s1');
    expect(server.connections.size).toBe(0);
  });
});
