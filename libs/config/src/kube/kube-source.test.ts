import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigError } from '../config-error.ts';
import { MemoryConfigStore } from '../config-store.ts';
import { KubeSource, type KubeSourceOptions } from './kube-source.ts';
import { EventRecorder } from './testing/event-recorder.ts';
import { FakeApiServer } from './testing/fake-api-server.ts';
import { collectionPath, watchedKinds, type WatchedKind } from './watched-kinds.ts';

const kind = (name: string): WatchedKind => watchedKinds.find((k) => k.kind === name)!;
const Service = kind('Service');
const Namespace = kind('Namespace');
const VirtualService = kind('VirtualService');
const Gateway = kind('Gateway');

const service = (name: string, port = 9080) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', managedFields: [{ manager: 'kubectl' }] },
  spec: { ports: [{ name: 'http', port }], selector: { app: name } },
});
const virtualService = (name: string, host: string) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'default' },
  spec: { hosts: [host], http: [{ route: [{ destination: { host } }] }] },
});

let server: FakeApiServer;
let dir: string;
let source: KubeSource | undefined;
let reported: ConfigError[];

beforeEach(async () => {
  server = await FakeApiServer.start({ token: 'secret-token' });
  dir = await mkdtemp(join(tmpdir(), 'kube-source-'));
  reported = [];
});

afterEach(async () => {
  source?.close();
  source = undefined;
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeKubeconfig(token: string): Promise<string> {
  const file = join(dir, 'kubeconfig');
  await writeFile(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: test',
      // The client allows plain HTTP only with TLS verification off; the fake server is loopback only.
      'clusters: [{ name: fake, cluster: { server: "' + server.url + '", insecure-skip-tls-verify: true } }]',
      'users: [{ name: tester, user: { token: ' + token + ' } }]',
      'contexts: [{ name: test, context: { cluster: fake, user: tester } }]',
    ].join('\n'),
  );
  return file;
}

/** Serves every kind (unless told which) and opens a source on it with a recorder attached. */
async function open(options: Partial<KubeSourceOptions> & { serve?: WatchedKind[] } = {}): Promise<{ source: KubeSource; events: EventRecorder }> {
  for (const k of options.serve ?? watchedKinds) server.serve(k);
  const store = new MemoryConfigStore();
  const events = new EventRecorder(store);
  source = await KubeSource.open({
    kubeconfig: await writeKubeconfig('secret-token'),
    store,
    onError: (error) => reported.push(error),
    backoff: { initialMs: 5, maxMs: 20 },
    ...options,
  });
  return { source, events };
}

const watchOf = (k: WatchedKind) => (r: { path: string; watch: boolean }) => r.path === collectionPath(k) && r.watch;
const listsOf = (k: WatchedKind) => server.requests.filter((r) => r.path === collectionPath(k) && !r.watch).length;

// Each case starts real sockets and the client, which can take seconds on a busy machine.
describe('KubeSource', { timeout: 20_000 }, () => {
  it('gives an add event for each listed object, completed and validated', async () => {
    for (const k of watchedKinds) server.serve(k);
    server.put(Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    server.put(Service, service('reviews'));
    server.put(VirtualService, virtualService('reviews', 'reviews'));
    const { source: opened, events } = await open();
    expect(events.lines.sort()).toEqual(['add Namespace default', 'add Service default/reviews', 'add VirtualService default/reviews']);
    const reviews = opened.store.get('Service', 'default', 'reviews')!;
    // Listed items come without apiVersion and kind; the source restores them and drops managedFields.
    expect(reviews).toMatchObject({ apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: 9080 }] } });
    expect(reviews.metadata).not.toHaveProperty('managedFields');
    expect(reviews.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(reported).toEqual([]);
  });

  it('turns watch events into add, update and delete', async () => {
    const { source: opened, events } = await open();
    server.put(Service, service('ratings'));
    await events.until('add Service default/ratings');
    server.put(Service, service('ratings', 8080));
    await events.until('update Service default/ratings');
    expect(opened.store.get('Service', 'default', 'ratings')!.spec.ports![0].port).toBe(8080);
    server.bookmark(Service);
    server.remove(Service, 'default', 'ratings');
    await events.until('delete Service default/ratings');
    expect(events.lines).toEqual(['add Service default/ratings', 'update Service default/ratings', 'delete Service default/ratings']);
    expect(opened.store.list('Service')).toEqual([]);
  });

  it('watches again from the last resourceVersion when the server ends the watch', async () => {
    const { source: opened, events } = await open();
    server.put(Service, service('a'));
    await events.until('add Service default/a');
    const rewatch = server.nextRequest(watchOf(Service));
    server.endWatches(Service);
    const request = await rewatch;
    // Resumed where it was, without listing again.
    expect(request.resourceVersion).toBe(opened.store.get('Service', 'default', 'a')!.metadata.resourceVersion);
    expect(listsOf(Service)).toBe(1);
    server.put(Service, service('b'));
    await events.until('add Service default/b');
    expect(events.lines).toEqual(['add Service default/a', 'add Service default/b']);
  });

  it.each(['event', 'status'] as const)('lists again after 410 Gone (told as %s), emitting each missed change once', async (goneAs) => {
    for (const k of watchedKinds) server.serve(k);
    for (const name of ['kept', 'changed', 'deleted']) server.put(Service, service(name));
    const { source: opened, events } = await open();
    events.clear();
    // Changes the client cannot see on its watch; only a relist finds them.
    server.put(Service, service('changed', 7070), { unseen: true });
    server.remove(Service, 'default', 'deleted', { unseen: true });
    server.put(Service, service('created'), { unseen: true });
    server.expire(Service, goneAs);
    await events.until('update Service default/changed', 'delete Service default/deleted', 'add Service default/created');
    // One more watched change proves the watch is back, and that nothing else came before it.
    server.put(Service, service('after'));
    await events.until('add Service default/after');
    expect(events.lines.slice(0, 3).sort()).toEqual(['add Service default/created', 'delete Service default/deleted', 'update Service default/changed']);
    expect(events.lines.slice(3)).toEqual(['add Service default/after']);
    expect(listsOf(Service)).toBe(2);
    expect(opened.store.list('Service').map((s) => s.metadata.name)).toEqual(['after', 'changed', 'created', 'kept']);
    expect(reported).toEqual([]);
  });

  it('reports an invalid object and leaves it out while the rest keep serving', async () => {
    for (const k of watchedKinds) server.serve(k);
    server.put(Service, service('bad', 70000));
    server.put(Service, service('good'));
    const { source: opened, events } = await open();
    expect(opened.store.list('Service').map((s) => s.metadata.name)).toEqual(['good']);
    expect(reported.map((e) => e.message)).toEqual(['Service default/bad: spec.ports[0].port: must be an integer between 1 and 65535, got 70000']);
    expect(opened.errors().map((e) => e.message)).toEqual(reported.map((e) => e.message));
    // A valid object turning invalid goes away; fixed, it comes back.
    server.put(Service, service('good', 0));
    await events.until('delete Service default/good');
    server.put(Service, service('good'));
    server.put(Service, service('bad'));
    await events.until('add Service default/good', 'add Service default/bad');
    expect(opened.errors()).toEqual([]);
    expect(reported).toHaveLength(2);
  });

  it('reports a CRD that is not installed once, serves the rest, and picks it up once installed', async () => {
    const installed = watchedKinds.filter((k) => k !== Gateway);
    // The fake answers 404 for every collection it does not serve.
    for (const k of installed) server.serve(k);
    server.put(VirtualService, virtualService('reviews', 'reviews'));
    const { source: opened, events } = await open({ serve: installed });
    expect(opened.store.list('VirtualService')).toHaveLength(1);
    // Retried with backoff, reported once.
    await server.nextRequest((r) => r.path === collectionPath(Gateway));
    await server.nextRequest((r) => r.path === collectionPath(Gateway));
    const gatewayReports = reported.filter((e) => e.message.startsWith('Gateway (networking.istio.io/v1)'));
    expect(gatewayReports.map((e) => e.message)).toEqual([expect.stringContaining('not installed on the cluster')]);
    expect(gatewayReports[0].message).toContain('404');
    expect(reported).toHaveLength(1);
    server.serve(Gateway);
    server.put(Gateway, { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'ingress', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } });
    await events.until('add Gateway istio-system/ingress');
    expect(opened.errors()).toEqual([]);
  });

  it('connects with the kubeconfig file credentials, and reports them refused', async () => {
    for (const k of watchedKinds) server.serve(k);
    const kubeconfig = await writeKubeconfig('wrong-token');
    const refused = await KubeSource.open({ kubeconfig, kinds: [Service], onError: (error) => reported.push(error), backoff: { initialMs: 5, maxMs: 20 } });
    refused.close();
    expect(reported.map((e) => e.message)).toEqual([expect.stringMatching(/^Service \(v1\): list or watch failed: GET \/api\/v1\/services: 401 Unauthorized/)]);
    const { source: opened } = await open({ kinds: [Service] });
    expect(opened.errors()).toEqual([]);
  });

  it('lists again on each resync and emits only what changed', async () => {
    for (const k of watchedKinds) server.serve(k);
    server.put(Service, service('a'));
    const { events } = await open({ resyncMs: 30 });
    events.clear();
    server.put(Service, service('b'), { unseen: true });
    await events.until('add Service default/b');
    expect(events.lines).toEqual(['add Service default/b']);
    expect(listsOf(Service)).toBeGreaterThanOrEqual(2);
  });

  it('keeps watching when a subscriber throws, and reports it', async () => {
    const { source: opened, events } = await open();
    opened.store.subscribe((event) => {
      if (event.object.metadata.name === 'boom') throw new Error('subscriber broke');
    });
    server.put(Service, service('boom'));
    server.put(Service, service('after'));
    await events.until('add Service default/boom', 'add Service default/after');
    expect(reported.map((e) => e.message)).toEqual(['Service (v1): a config subscriber failed: subscriber broke']);
  });

  it('ends every watch when closed', async () => {
    const { source: opened } = await open();
    if (!server.requests.some(watchOf(Gateway))) await server.nextRequest(watchOf(Gateway));
    opened.close();
    await server.idle();
  });

  it('fails to open with a clear error when the kubeconfig is missing', async () => {
    await expect(KubeSource.open({ kubeconfig: join(dir, 'nope') })).rejects.toThrow(`kubeconfig ${join(dir, 'nope')}: does not exist`);
  });
});
