// A proxy that stops reading must not hold back the others: istiod keeps pushing to everyone
// else, stops piling responses on the stuck stream, and sends it the latest state once it reads
// and answers again. Real gRPC on loopback, since the point is the transport's flow control.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadDocuments, MemoryConfigStore, type KubeObject } from '@mizzen/config';
import { AdsClient, adsMethodPath, adsServiceDefinition, lookupMessage, TypeUrl, type AdsServer, type JsonObject, type WireResponse } from '@mizzen/xds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAdsTransport } from './ads-transport.ts';
import { DiscoveryServer } from './discovery-server.ts';

const bookinfo = loadDocuments(readFileSync(new URL('../networking/testdata/bookinfo.yaml', import.meta.url), 'utf8'), 'bookinfo.yaml').objects;
const nodeOf = (pod: string) => ({ id: `sidecar~10.244.0.10~${pod}.default~default.svc.cluster.local`, metadata: { NAME: pod, NAMESPACE: 'default', LABELS: { app: 'productpage' } } });

/** Enough services that one CDS response outgrows HTTP/2's flow-control window. */
function mesh(extra: number): KubeObject[] {
  const services: KubeObject[] = Array.from({ length: 300 + extra }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: 'default' },
    spec: { clusterIP: `10.96.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`, selector: { app: `svc-${i}` }, ports: [{ name: 'http', port: 8000 + (i % 50) }] },
  }));
  return [...bookinfo, ...services];
}

function clusterNames(response: WireResponse): string[] {
  return response.resources.map((any) => (lookupMessage(TypeUrl.Cluster).decode(any.value) as unknown as { name: string }).name);
}

describe('a proxy that stops reading', { timeout: 60_000 }, () => {
  let store: MemoryConfigStore;
  let discovery: DiscoveryServer;
  let ads: AdsServer;
  let port: number;
  const closers: (() => void)[] = [];

  beforeEach(async () => {
    store = new MemoryConfigStore();
    store.replaceAll(mesh(0));
    discovery = new DiscoveryServer(store, { log: () => {}, debounceMs: 1 });
    ads = createAdsTransport(discovery);
    port = await ads.listen('127.0.0.1:0');
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    discovery.close();
    await ads.close();
  });

  it('does not hold back the others, and gets the latest state once it reads again', async () => {
    // The stuck proxy: subscribes to CDS, then reads nothing.
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const wire = adsServiceDefinition.StreamAggregatedResources;
    const stuck = client.makeBidiStreamRequest(adsMethodPath, wire.requestSerialize, wire.responseDeserialize);
    closers.push(() => (stuck.cancel(), client.close()));
    stuck.on('error', () => {});
    stuck.pause();
    stuck.write({ node: nodeOf('stuck'), type_url: TypeUrl.Cluster });

    // The healthy proxy, which reads and ACKs everything.
    let latest: JsonObject[] = [];
    let onClusters = () => {};
    const healthy = new AdsClient({
      target: `127.0.0.1:${port}`,
      node: nodeOf('healthy'),
      onResources: (_typeUrl, resources) => {
        latest = resources;
        onClusters();
      },
    });
    closers.push(() => healthy.close());
    const has = (name: string) => latest.some((c) => c.name === name);
    const healthyHas = (name: string) => new Promise<void>((resolve) => (onClusters = () => has(name) && resolve()));

    let got = healthyHas('outbound|8000||svc-0.default.svc.cluster.local');
    healthy.subscribe(TypeUrl.Cluster, []);
    await got;
    const stuckId = [...discovery.connections.values()].find((c) => c.proxy?.podName === 'stuck')?.streamId ?? '';
    expect(stuckId).not.toBe('');

    // Change the clusters again and again: the healthy proxy gets each change, while the
    // stuck one falls behind and is then left waiting instead of buffering more.
    let rounds = 0;
    while (!ads.isBackedUp(stuckId) || discovery.idle) {
      rounds += 1;
      expect(rounds).toBeLessThan(100);
      const name = `svc-${300 + rounds - 1}`;
      got = healthyHas(`outbound|${8000 + ((300 + rounds - 1) % 50)}||${name}.default.svc.cluster.local`);
      store.replaceAll(mesh(rounds));
      await got;
    }
    const last = `outbound|${8000 + ((300 + rounds - 1) % 50)}||svc-${300 + rounds - 1}.default.svc.cluster.local`;

    // Reading (and answering) again, it catches up and ends with the latest clusters.
    const caughtUp = new Promise<void>((resolve) =>
      stuck.on('data', (response: WireResponse) => {
        stuck.write({ type_url: response.type_url, version_info: response.version_info, response_nonce: response.nonce });
        if (clusterNames(response).includes(last)) resolve();
      }),
    );
    stuck.resume();
    await caughtUp;
    await new Promise<void>((resolve) => {
      const check = () => (discovery.idle ? resolve() : setImmediate(check));
      check();
    });
  });
});
