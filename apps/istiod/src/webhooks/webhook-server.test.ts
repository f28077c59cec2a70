import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { MemoryConfigStore, type KubeObject } from '@mizzen/config';
import { defaultInjectionSettings } from '@mizzen/inject';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:https';
import type { AdmissionReview } from './admission-review.ts';
import type { PatchOperation } from './json-patch.ts';
import { createTestCertificate, type TestCertificate } from './test-certificate.ts';
import { createWebhookServer } from './webhook-server.ts';

let certificate: TestCertificate;
let cert: string;
let server: Server;
let port: number;
const logged: string[] = [];

beforeAll(async () => {
  certificate = await createTestCertificate();
  cert = certificate.cert;
  const store = new MemoryConfigStore();
  store.set({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } } as KubeObject);
  server = createWebhookServer({ cert, key: certificate.key, store, injection: { ...defaultInjectionSettings(), proxyImage: 'mizzen/proxyv2:test' }, log: (m) => logged.push(m) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await certificate.remove();
});

function post(path: string, body: string, contentType = 'application/json', method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, ca: cert, headers: { 'content-type': contentType } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function review(path: string, requestBody: Record<string, unknown>, apiVersion = 'admission.k8s.io/v1'): Promise<AdmissionReview> {
  const result = await post(path, JSON.stringify({ apiVersion, kind: 'AdmissionReview', request: { uid: 'uid-1', ...requestBody } }));
  expect(result.status).toBe(200);
  return JSON.parse(result.body) as AdmissionReview;
}

/** RFC 6902 add/replace/remove on a copy, to check the patch does what the API server would do with it. */
function applyPatch(document: unknown, operations: PatchOperation[]): unknown {
  const root = { value: structuredClone(document) } as Record<string, unknown>;
  for (const operation of operations) {
    const keys = ['value', ...operation.path.split('/').slice(1).map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'))];
    const last = keys.pop()!;
    const parent = keys.reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, root);
    if (operation.op === 'remove') delete parent[last];
    else {
      if (operation.op === 'replace' && !(last in parent)) throw new Error(`replace of missing ${operation.path}`);
      parent[last] = operation.value;
    }
  }
  return root.value;
}

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: 'details-v1-5f4d5c8b9-',
    labels: { app: 'details', version: 'v1', 'pod-template-hash': '5f4d5c8b9' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'details-v1-5f4d5c8b9' }],
  },
  spec: { serviceAccountName: 'bookinfo-details', containers: [{ name: 'details', image: 'details:v1', ports: [{ containerPort: 9080 }] }] },
};

describe('istiod /inject', () => {
  it('answers with a JSON Patch that adds the sidecar', async () => {
    const answer = await review('/inject', { kind: { group: '', version: 'v1', kind: 'Pod' }, namespace: 'shop', operation: 'CREATE', object: pod });
    expect(answer).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-1', allowed: true, patchType: 'JSONPatch' } });
    const patch = JSON.parse(Buffer.from(answer.response!.patch!, 'base64').toString('utf8')) as PatchOperation[];
    const patched = applyPatch(pod, patch) as { metadata: Record<string, unknown>; spec: { containers: { name: string; env: { name: string; value?: string }[] }[]; initContainers: { name: string }[] } };
    expect(patched.spec.containers.map((c) => c.name)).toEqual(['details', 'istio-proxy']);
    expect(patched.spec.initContainers.map((c) => c.name)).toEqual(['istio-init']);
    expect(patched.metadata.namespace).toBeUndefined();
    expect(patched.metadata.labels).toMatchObject({ 'security.istio.io/tlsMode': 'istio' });
    const env = Object.fromEntries(patched.spec.containers[1].env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ ISTIO_META_WORKLOAD_NAME: 'details-v1', ISTIO_META_OWNER: 'kubernetes://apis/apps/v1/namespaces/shop/deployments/details-v1' });
  });

  it('allows a pod it does not inject, saying why, in the apiVersion it was asked in', async () => {
    const optedOut = { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, 'sidecar.istio.io/inject': 'false' } } };
    expect(await review('/inject', { namespace: 'shop', object: optedOut }, 'admission.k8s.io/v1beta1')).toEqual({
      apiVersion: 'admission.k8s.io/v1beta1',
      kind: 'AdmissionReview',
      response: { uid: 'uid-1', allowed: true, status: { message: 'not injected: the pod\'s label sidecar.istio.io/inject is "false"' } },
    });
    const elsewhere = await review('/inject', { namespace: 'plain', object: pod });
    expect(elsewhere.response).toMatchObject({ allowed: true, status: { message: expect.stringContaining('neither the pod nor namespace plain asks for a sidecar') } });
    expect(elsewhere.response?.patch).toBeUndefined();
  });

  it('refuses a pod whose annotations cannot be honoured', async () => {
    const bad = { ...pod, metadata: { ...pod.metadata, annotations: { 'sidecar.istio.io/interceptionMode': 'MAGIC' } } };
    const numeric = { ...pod, metadata: { ...pod.metadata, labels: { app: 'details', version: 1 } } };
    expect((await review('/inject', { namespace: 'shop', object: numeric })).response).toMatchObject({
      allowed: false,
      status: { message: 'injection failed: Pod shop/details-v1-5f4d5c8b9-: metadata.labels.version: must be a string, got number 1 (quote it in YAML)' },
    });
    expect((await review('/inject', { namespace: 'shop', object: bad })).response).toEqual({
      uid: 'uid-1',
      allowed: false,
      status: { code: 400, message: 'injection failed: Pod shop/details-v1-5f4d5c8b9-: annotation sidecar.istio.io/interceptionMode: must be one of REDIRECT, TPROXY, NONE, got "MAGIC"' },
    });
  });
});

describe('istiod /validate', () => {
  const virtualService = (spec: unknown) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews' }, spec });

  it('allows valid config and refuses invalid config with the field and the reason', async () => {
    const good = virtualService({ hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] });
    expect((await review('/validate', { namespace: 'shop', operation: 'CREATE', object: good })).response).toEqual({ uid: 'uid-1', allowed: true });
    const bad = virtualService({ hosts: 'reviews', http: [{ route: [{ destination: { host: 'reviews' } }] }] });
    expect((await review('/validate', { namespace: 'shop', operation: 'CREATE', object: bad })).response).toEqual({
      uid: 'uid-1',
      allowed: false,
      status: { code: 400, message: 'configuration is invalid: VirtualService shop/reviews: spec.hosts: must be a list, got string "reviews"' },
    });
    expect(logged.some((line) => line.includes('denied'))).toBe(true);
  });

  it('allows a deletion, which carries no object', async () => {
    expect((await review('/validate', { operation: 'DELETE', namespace: 'shop' })).response).toEqual({ uid: 'uid-1', allowed: true });
  });
});

describe('the webhook server under bad requests', () => {
  it('answers each with a status and a reason, and keeps serving', async () => {
    expect(await post('/inject', '{not json')).toMatchObject({ status: 400, body: expect.stringContaining('/inject: not an AdmissionReview') });
    expect(await post('/inject', JSON.stringify({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }))).toEqual({ status: 400, body: '/inject: not an AdmissionReview: request: required object is missing\n' });
    expect(await post('/validate', JSON.stringify({ kind: 'Pod' }))).toMatchObject({ status: 400, body: expect.stringContaining('kind: must be AdmissionReview') });
    expect(await post('/inject', '{}', 'text/plain')).toMatchObject({ status: 415 });
    expect(await post('/inject', '', 'application/json', 'GET')).toMatchObject({ status: 405 });
    expect(await post('/elsewhere', '{}')).toMatchObject({ status: 404 });
    expect(await post('/inject', JSON.stringify({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: { uid: 'u', object: 'a pod' } }))).toMatchObject({ status: 200, body: expect.stringContaining('must be a Pod with metadata and spec') });
    expect(await post('/httpsReady', '', 'application/json', 'GET')).toEqual({ status: 200, body: 'ready\n' });
  });
});
