import { readFileSync } from 'node:fs';
import { loadDocuments, MemoryConfigStore, type KubeObject, type Pod } from '@mizzen/config';
import { describe, expect, it } from 'vitest';
import { buildPushContext, serviceEndpoints, withChangedEndpoints } from './push-context.ts';
import { classifyChange, mergePushRequests, type PushRequest } from './push-request.ts';

const bookinfo = loadDocuments(readFileSync(new URL('../networking/testdata/bookinfo.yaml', import.meta.url), 'utf8'), 'bookinfo.yaml').objects;
const reviewsHost = 'reviews.default.svc.cluster.local';

function pod(name: string): Pod {
  return bookinfo.find((o) => o.kind === 'Pod' && o.metadata.name === name) as Pod;
}

function classify(change: (store: MemoryConfigStore) => void): PushRequest {
  const store = new MemoryConfigStore();
  store.replaceAll(bookinfo);
  const push = buildPushContext(store, 'v1');
  let request: PushRequest | undefined;
  store.subscribe((event) => (request = mergePushRequests(request, classifyChange(event, push))));
  change(store);
  if (!request) throw new Error('the change made no event');
  return request;
}

const plain = (request: PushRequest) => ({ full: request.full, edsHosts: [...request.edsHosts].sort(), pods: [...request.pods].sort() });

describe('classifyChange', () => {
  it('reads a new pod as an endpoint change of the services that select it, and of its own proxy', () => {
    const request = classify((store) => store.set({ ...pod('reviews-v2-1'), metadata: { ...pod('reviews-v2-1').metadata, name: 'reviews-v3-1' }, status: { podIP: '10.244.0.20' } }));
    expect(plain(request)).toEqual({ full: false, edsHosts: [reviewsHost], pods: ['default/reviews-v3-1'] });
  });

  it('counts the services a pod leaves as well as those it joins', () => {
    const moved = { ...pod('reviews-v1-1'), metadata: { ...pod('reviews-v1-1').metadata, labels: { app: 'ratings', version: 'v1' } } };
    expect(plain(classify((store) => store.set(moved)))).toEqual({
      full: false,
      edsHosts: ['ratings.default.svc.cluster.local', reviewsHost],
      pods: ['default/reviews-v1-1'],
    });
  });

  it('reads a deleted pod and an Endpoints object of a service as endpoint changes', () => {
    expect(plain(classify((store) => store.delete('Pod/default/ratings-v1-1')))).toMatchObject({ full: false, edsHosts: ['ratings.default.svc.cluster.local'] });
    const endpoints: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'reviews', namespace: 'default' } };
    expect(plain(classify((store) => store.set(endpoints)))).toEqual({ full: false, edsHosts: [reviewsHost], pods: [] });
  });

  it('takes a full push for routing config, services, and pods behind a headless service', () => {
    const vs: KubeObject = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'default' }, spec: { hosts: ['reviews'] } };
    expect(classify((store) => store.set(vs)).full).toBe(true);
    const service = bookinfo.find((o) => o.kind === 'Service' && o.metadata.name === 'ratings') as KubeObject;
    expect(classify((store) => store.set({ ...service, metadata: { ...service.metadata, labels: { tier: 'back' } } })).full).toBe(true);
    const headless: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } };
    const dbPod = { ...pod('mongodb-v1-1'), metadata: { name: 'db-1', namespace: 'default', labels: { app: 'db' } } };
    expect(
      classify((store) => {
        store.set(headless);
        store.set(dbPod);
      }).full,
    ).toBe(true);
  });

  it('merges a burst: endpoint changes add up, anything full makes it full', () => {
    const a: PushRequest = { full: false, edsHosts: new Set(['a']), pods: new Set(['ns/a']) };
    const b: PushRequest = { full: false, edsHosts: new Set(['b']), pods: new Set() };
    expect(plain(mergePushRequests(a, b))).toEqual({ full: false, edsHosts: ['a', 'b'], pods: ['ns/a'] });
    expect(mergePushRequests(a, { full: true, edsHosts: new Set(), pods: new Set() }).full).toBe(true);
  });
});

describe('withChangedEndpoints', () => {
  it('works out the endpoints of the named services again and shares everything else', () => {
    const store = new MemoryConfigStore();
    store.replaceAll(bookinfo);
    const before = buildPushContext(store, 'v1');
    store.set({ ...pod('reviews-v2-1'), status: { podIP: '10.244.0.42' } });
    store.set({ ...pod('ratings-v1-1'), status: { podIP: '10.244.0.43' } });
    const after = withChangedEndpoints(before, store, 'v2', [reviewsHost]);
    expect(serviceEndpoints(after, reviewsHost, 9080).map((e) => e.address)).toEqual(['10.244.0.11', '10.244.0.42']);
    // Not named, so not looked at: a full push would see it.
    expect(serviceEndpoints(after, 'ratings.default.svc.cluster.local', 9080).map((e) => e.address)).toEqual(['10.244.0.13']);
    expect(after.registry.services).toBe(before.registry.services);
    expect(after.virtualServices).toBe(before.virtualServices);
    expect(after.version).toBe('v2');
  });
});
