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

/** Waits, a turn of the event loop at a time, until the condition holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
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

  it('pushes an endpoint change as EDS alone, only the assignments it changed, only to the proxies that asked for them', async () => {
    const ratingsNode = { id: 'sidecar~10.244.0.13~ratings-v1-1.default~default.svc.cluster.local', metadata: { NAME: 'ratings-v1-1', NAMESPACE: 'default', LABELS: { app: 'ratings' } } };
    server.onStreamOpen({ id: 'pp', node, peer: 'p' });
    server.onStreamOpen({ id: 'ratings', node: ratingsNode, peer: 'p' });
    for (const id of ['pp', 'ratings']) {
      server.onSubscribe(id, TypeUrl.Cluster, []);
      server.onSubscribe(id, TypeUrl.Listener, []);
      server.onSubscribe(id, TypeUrl.RouteConfiguration, ['9080']);
    }
    server.onSubscribe('pp', TypeUrl.ClusterLoadAssignment, ['outbound|9080||reviews.default.svc.cluster.local', 'outbound|9080||ratings.default.svc.cluster.local']);
    server.onSubscribe('ratings', TypeUrl.ClusterLoadAssignment, ['outbound|27017||mongodb.default.svc.cluster.local']);
    sent = [];
    const reviews = bookinfo.find((o) => o.metadata.name === 'reviews-v2-1') as KubeObject;
    store.replaceAll([...bookinfo.filter((o) => o !== reviews), { ...reviews, status: { podIP: '10.244.0.42' } }]);
    server.pushNow();
    await until(() => server.idle);
    expect(sent.map((s) => [s.streamId, s.typeUrl, s.resources.map((r) => r.cluster_name)])).toEqual([
      ['pp', TypeUrl.ClusterLoadAssignment, ['outbound|9080||reviews.default.svc.cluster.local']],
    ]);
    expect(JSON.stringify(sent[0].resources)).toContain('10.244.0.42');
    // The next full push finds the proxy holding every assignment it should, and resends none.
    sent = [];
    server.pushNow();
    await until(() => server.idle);
    expect(sent).toEqual([]);
  });

  it('gives the proxy of a changed pod its whole config again, and the others only endpoints', async () => {
    const reviewsNode = { id: 'sidecar~10.244.0.12~reviews-v2-1.default~default.svc.cluster.local', metadata: { NAME: 'reviews-v2-1', NAMESPACE: 'default', LABELS: { app: 'reviews' } } };
    server.onStreamOpen({ id: 'pp', node, peer: 'p' });
    server.onStreamOpen({ id: 'reviews', node: reviewsNode, peer: 'p' });
    for (const id of ['pp', 'reviews']) {
      server.onSubscribe(id, TypeUrl.Cluster, []);
      server.onSubscribe(id, TypeUrl.Listener, []);
      server.onSubscribe(id, TypeUrl.ClusterLoadAssignment, ['outbound|9080||reviews.default.svc.cluster.local']);
    }
    sent = [];
    // The reviews pod leaves its Service: productpage's reviews endpoints change, and the pod's
    // own proxy no longer serves reviews inbound.
    const reviews = bookinfo.find((o) => o.metadata.name === 'reviews-v2-1') as KubeObject;
    store.replaceAll([...bookinfo.filter((o) => o !== reviews), { ...reviews, metadata: { ...reviews.metadata, labels: { app: 'reviews-next' } } }]);
    server.pushNow();
    await until(() => server.idle);
    expect(sent.map((s) => [s.streamId, s.typeUrl]).sort()).toEqual([
      ['pp', TypeUrl.ClusterLoadAssignment],
      ['reviews', TypeUrl.Cluster],
      ['reviews', TypeUrl.ClusterLoadAssignment],
      ['reviews', TypeUrl.Listener],
    ]);
    const reviewsCds = sent.find((s) => s.streamId === 'reviews' && s.typeUrl === TypeUrl.Cluster);
    expect(reviewsCds?.resources.map((r) => r.name)).not.toContain('inbound|9080||');
  });

  it('holds pushes back from a stream that is behind, serves the others, and sends it the latest once it catches up', async () => {
    const behind = new Set(['slow']);
    const caughtUp = new Map<string, () => void>();
    server.setFlowControl({ isBackedUp: (id) => behind.has(id), onceCaughtUp: (id, callback) => caughtUp.set(id, callback) });
    for (const id of ['slow', 'fast']) {
      server.onStreamOpen({ id, node, peer: 'p' });
      server.onSubscribe(id, TypeUrl.RouteConfiguration, ['9080']);
    }
    const traffic = (file: string) => loadDocuments(readFileSync(new URL(`../networking/testdata/traffic/${file}`, import.meta.url), 'utf8'), file).objects;
    for (const file of ['virtual-service-reviews-test-v2.yaml', 'virtual-service-reviews-50-v3.yaml']) {
      sent = [];
      store.replaceAll([...bookinfo, ...traffic('destination-rule-all.yaml'), ...traffic(file)]);
      server.pushNow();
      await until(() => caughtUp.has('slow') && !sent.every((s) => s.streamId !== 'fast'));
      expect(sent.map((s) => s.streamId)).toEqual(['fast']);
    }
    expect(server.idle).toBe(false);
    sent = [];
    behind.delete('slow');
    caughtUp.get('slow')?.();
    await until(() => server.idle);
    // One push with the latest routes, not one per change missed.
    expect(sent.map((s) => [s.streamId, s.typeUrl])).toEqual([['slow', TypeUrl.RouteConfiguration]]);
    expect(JSON.stringify(sent[0].resources)).toContain('outbound|9080|v3|reviews.default.svc.cluster.local');
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
