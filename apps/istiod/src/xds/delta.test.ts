import { readFileSync } from 'node:fs';
import { loadDocuments, MemoryConfigStore, type KubeObject } from '@mizzen/config';
import { AdsClient, DeltaAdsClient, TypeUrl, type AdsServer, type DeltaResourceChanges, type JsonObject } from '@mizzen/xds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAdsTransport } from './ads-transport.ts';
import { DiscoveryServer } from './discovery-server.ts';

const bookinfo = loadDocuments(readFileSync(new URL('../networking/testdata/bookinfo.yaml', import.meta.url), 'utf8'), 'bookinfo.yaml').objects;
const node = {
  id: 'sidecar~10.244.0.10~productpage-v1-1.default~default.svc.cluster.local',
  metadata: { NAME: 'productpage-v1-1', NAMESPACE: 'default', LABELS: { app: 'productpage' }, INTERCEPTION_MODE: 'NONE' },
};
const reviewsEndpoints = 'outbound|9080||reviews.default.svc.cluster.local';

interface Update {
  typeUrl: string;
  names: string[];
  changes: DeltaResourceChanges;
}

/** Waits for the next update that satisfies a predicate, keeping the ones before it. */
class Updates {
  readonly all: Update[] = [];
  #waiters: { test: (u: Update) => boolean; resolve: (u: Update) => void }[] = [];
  add(update: Update): void {
    this.all.push(update);
    this.#waiters = this.#waiters.filter((w) => (w.test(update) ? (w.resolve(update), false) : true));
  }
  next(test: (u: Update) => boolean): Promise<Update> {
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }
}

describe('delta xDS from istiod', { timeout: 20_000 }, () => {
  let store: MemoryConfigStore;
  let discovery: DiscoveryServer;
  let ads: AdsServer;
  let port: number;
  const clients: { close(): void }[] = [];

  beforeEach(async () => {
    store = new MemoryConfigStore();
    store.replaceAll(bookinfo);
    discovery = new DiscoveryServer(store, { log: () => {}, debounceMs: 1 });
    ads = createAdsTransport(discovery);
    port = await ads.listen('127.0.0.1:0');
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    discovery.close();
    await ads.close();
  });

  function deltaClient(updates: Updates): DeltaAdsClient {
    const client = new DeltaAdsClient({
      target: `127.0.0.1:${port}`,
      node,
      onResources: (typeUrl, resources, _version, changes) => updates.add({ typeUrl, names: resources.map((r) => (r.name ?? r.cluster_name) as string).sort(), changes }),
    });
    clients.push(client);
    return client;
  }

  it('sends a delta client the same resources as a state-of-the-world one', async () => {
    const updates = new Updates();
    const delta = deltaClient(updates);
    const firstCds = updates.next((u) => u.typeUrl === TypeUrl.Cluster);
    delta.subscribe(TypeUrl.Cluster, []);
    const sotw: JsonObject[][] = [];
    const gotSotw = new Promise<void>((resolve) => {
      const client = new AdsClient({ target: `127.0.0.1:${port}`, node, onResources: (_t, resources) => (sotw.push(resources), resolve()) });
      clients.push(client);
      client.subscribe(TypeUrl.Cluster, []);
    });
    const [cds] = await Promise.all([firstCds, gotSotw]);
    expect(cds.names).toEqual(sotw[0].map((c) => c.name).sort());
    expect(discovery.connections.size).toBe(2);
    expect([...discovery.connections.values()].filter((c) => c.delta)).toHaveLength(1);
  });

  it('pushes only the resources that changed, and removes what is gone', async () => {
    const updates = new Updates();
    const delta = deltaClient(updates);
    const firstCds = updates.next((u) => u.typeUrl === TypeUrl.Cluster);
    const firstEds = updates.next((u) => u.typeUrl === TypeUrl.ClusterLoadAssignment);
    delta.subscribe(TypeUrl.Cluster, []);
    delta.subscribe(TypeUrl.ClusterLoadAssignment, [reviewsEndpoints, 'outbound|9080||ratings.default.svc.cluster.local']);
    await firstCds;
    expect((await firstEds).changes.updated).toHaveLength(2);

    // A third reviews pod: one assignment changes; the clusters do not.
    const pod = bookinfo.find((o) => o.metadata.name === 'reviews-v2-1') as KubeObject;
    const edsChange = updates.next((u) => u.typeUrl === TypeUrl.ClusterLoadAssignment);
    store.replaceAll([...bookinfo, { ...pod, metadata: { ...pod.metadata, name: 'reviews-v3-1' }, status: { podIP: '10.244.0.20' } }]);
    const eds = await edsChange;
    expect(eds.changes.updated.map((r) => r.cluster_name)).toEqual([reviewsEndpoints]);
    expect(eds.changes.removed).toEqual([]);

    // mongodb goes away: its cluster is removed, and nothing else is resent.
    const cdsChange = updates.next((u) => u.typeUrl === TypeUrl.Cluster);
    store.replaceAll(bookinfo.filter((o) => o.metadata.name !== 'mongodb'));
    const cds = await cdsChange;
    expect(cds.changes.updated).toEqual([]);
    expect(cds.changes.removed).toEqual(['outbound|27017||mongodb.default.svc.cluster.local']);
    expect(cds.names).not.toContain('outbound|27017||mongodb.default.svc.cluster.local');
  });

  it('follows subscribe and unsubscribe of named resources', async () => {
    const updates = new Updates();
    const delta = deltaClient(updates);
    const first = updates.next((u) => u.typeUrl === TypeUrl.ClusterLoadAssignment);
    delta.subscribe(TypeUrl.ClusterLoadAssignment, [reviewsEndpoints]);
    expect((await first).names).toEqual([reviewsEndpoints]);
    const more = updates.next((u) => u.typeUrl === TypeUrl.ClusterLoadAssignment);
    delta.subscribe(TypeUrl.ClusterLoadAssignment, [reviewsEndpoints, 'outbound|7070||ratings.default.svc.cluster.local']);
    const added = await more;
    expect(added.changes.updated.map((r) => r.cluster_name)).toEqual(['outbound|7070||ratings.default.svc.cluster.local']);
    delta.unsubscribe(TypeUrl.ClusterLoadAssignment, [reviewsEndpoints]);
    await expect.poll(() => discovery.connections.values().next().value?.types.get(TypeUrl.ClusterLoadAssignment)?.resourceNames).toEqual(['outbound|7070||ratings.default.svc.cluster.local']);
    expect(delta.resources(TypeUrl.ClusterLoadAssignment).map((r) => r.cluster_name)).toEqual(['outbound|7070||ratings.default.svc.cluster.local']);
  });
});
