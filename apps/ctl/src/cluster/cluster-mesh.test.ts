import { once } from 'node:events';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findClusterPod, listClusterPods } from './cluster-pods.ts';
import { fetchClusterIstiod, fetchClusterProxyAdmin, istiodPods } from './cluster-mesh.ts';
import { podObject, startFakeApiServer, type FakeApiServer } from './fake-api-server.ts';
import { chooseCluster, loadKubeConfig, type Cluster } from './kube-connection.ts';

/** A real HTTP server on loopback standing for a port of a pod: it answers every path with
 *  the JSON `answer` gives. */
async function jsonServer(answer: (path: string) => unknown): Promise<Server> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer(req.url ?? '')));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;

let api: FakeApiServer;
let admin: Server;
let istiod: Server;
let kubeconfig = '';
let cluster: Cluster;
const where = (env: Record<string, string | undefined> = {}) => ({ env, home: '/nonexistent' });

beforeAll(async () => {
  admin = await jsonServer((path) => ({ from: 'admin', path }));
  istiod = await jsonServer((path) => ({ from: 'istiod', path }));
  const pods = [
    podObject('reviews-v1-abc', 'default', { app: 'reviews', version: 'v1' }, '10.0.0.5'),
    podObject('reviews-v2-def', 'default', { app: 'reviews', version: 'v2' }, '10.0.0.6'),
    podObject('plain', 'default', { app: 'plain' }, '10.0.0.7', ['app']),
    podObject('istiod-1', 'istio-system', { app: 'istiod' }, '10.0.0.2', ['discovery']),
  ];
  api = await startFakeApiServer(pods, [
    { namespace: 'default', pod: 'reviews-v1-abc', port: 15000, target: portOf(admin), podIp: false },
    { namespace: 'istio-system', pod: 'istiod-1', port: 8080, target: portOf(istiod), podIp: true },
  ]);
  kubeconfig = await api.kubeconfig(['first', 'second']);
  cluster = chooseCluster({ kubeconfig, istioNamespace: 'istio-system' }, () => true, where()) as Cluster;
});

afterAll(async () => {
  await api.close();
  admin.close();
  istiod.close();
});

describe('which mesh a command reads', () => {
  it('takes a kubeconfig the user named, even with a local mesh running', () => {
    expect(chooseCluster({ kubeconfig, istioNamespace: 'istio-system' }, () => true, where())?.context).toBe('first');
    expect(chooseCluster({ context: 'second', istioNamespace: 'istio-system' }, () => true, where({ KUBECONFIG: kubeconfig }))?.context).toBe('second');
    expect(chooseCluster({ istioNamespace: 'istio-system' }, () => true, where({ KUBECONFIG: `/missing:${kubeconfig}` }))?.context).toBe('first');
  });

  it('prefers a running local mesh to the default kubeconfig, which serves when none runs', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mizzenctl-home-'));
    try {
      await mkdir(join(home, '.kube'));
      await writeFile(join(home, '.kube', 'config'), await readFile(kubeconfig, 'utf8'));
      expect(chooseCluster({ istioNamespace: 'istio-system' }, () => true, { env: {}, home })).toBeUndefined();
      expect(chooseCluster({ istioNamespace: 'istio-system' }, () => false, { env: {}, home })?.context).toBe('first');
      expect(chooseCluster({ istioNamespace: 'istio-system' }, () => false, where())).toBeUndefined();
      expect(chooseCluster({ local: true, istioNamespace: 'istio-system' }, () => false, { env: { KUBECONFIG: kubeconfig }, home })).toBeUndefined();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('uses the service account inside a pod', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mizzenctl-sa-'));
    try {
      const dir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'token'), 'sa-token');
      await writeFile(join(dir, 'namespace'), 'default');
      const config = loadKubeConfig({}, { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, home: '/nonexistent', root });
      expect(config?.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
      expect(config?.getCurrentUser()?.authProvider?.config?.tokenFile ?? config?.getCurrentUser()?.token).toBeDefined();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('says what is wrong with a kubeconfig, a context or a flag', () => {
    const choose = (flags: object, env = {}) => () => chooseCluster({ istioNamespace: 'istio-system', ...flags }, () => false, where(env));
    expect(choose({ kubeconfig: '/missing/config' })).toThrow('kubeconfig /missing/config: does not exist');
    expect(choose({ kubeconfig, context: 'third' })).toThrow('--context third: not in the kubeconfig (it has first, second)');
    expect(choose({ context: 'first' })).toThrow('--context first: no kubeconfig found');
    expect(choose({}, { KUBECONFIG: '/missing/a' })).toThrow('KUBECONFIG names no file that exists (/missing/a)');
    expect(choose({ local: true, kubeconfig })).toThrow('--local reads the local mesh: it cannot go with --kubeconfig or --context');
  });
});

describe('pods through the API server', () => {
  it('finds POD[.NAMESPACE] by name, else by a prefix that picks one', async () => {
    expect((await findClusterPod(cluster, 'reviews-v1-abc', 'default')).ip).toBe('10.0.0.5');
    expect((await findClusterPod(cluster, 'reviews-v2.default', 'other')).name).toBe('reviews-v2-def');
    await expect(findClusterPod(cluster, 'reviews', 'default')).rejects.toThrow('pod reviews: ambiguous, matches reviews-v1-abc, reviews-v2-def');
    await expect(findClusterPod(cluster, 'ratings', 'default')).rejects.toThrow('pod ratings in namespace default: not found in cluster first');
  });

  it('lists pods by namespace, in all namespaces, and by label selector', async () => {
    expect((await listClusterPods(cluster, 'default', 'app=reviews,version!=v1')).map((p) => p.name)).toEqual(['reviews-v2-def']);
    expect((await listClusterPods(cluster, undefined)).map((p) => p.name)).toEqual(['reviews-v1-abc', 'reviews-v2-def', 'plain', 'istiod-1']);
  });

  it("reads a sidecar's admin API through a port-forward, which reaches the pod's loopback", async () => {
    expect(await fetchClusterProxyAdmin(cluster, 'reviews-v1', 'default', '/config_dump?include_eds')).toEqual({ from: 'admin', path: '/config_dump?include_eds' });
    expect(api.requests).toContain('/api/v1/namespaces/default/pods/reviews-v1-abc/portforward?ports=15000');
  });

  it('says which pod has no sidecar, or no proxy answering', async () => {
    await expect(fetchClusterProxyAdmin(cluster, 'plain', 'default', '/config_dump')).rejects.toThrow('pod plain.default: has no istio-proxy container (not in the mesh)');
    await expect(fetchClusterProxyAdmin(cluster, 'reviews-v2', 'default', '/config_dump')).rejects.toThrow(
      'pod reviews-v2-def.default port 15000: error forwarding port 15000 to pod reviews-v2-def: connection refused',
    );
  });

  it("reads istiod's debug endpoints through the pods proxy subresource", async () => {
    const [pod] = await istiodPods(cluster);
    expect(await fetchClusterIstiod(cluster, pod, '/debug/config_dump?proxyID=a%7Eb')).toEqual({ from: 'istiod', path: '/debug/config_dump?proxyID=a%7Eb' });
    await expect(istiodPods({ ...cluster, istioNamespace: 'mesh' })).rejects.toThrow('cluster first: no running istiod pod in namespace mesh (label app=istiod');
  });

  it('says which API server does not answer', async () => {
    const file = join(api.dir, 'unreachable');
    await writeFile(file, (await readFile(kubeconfig, 'utf8')).replace(api.url, 'https://127.0.0.1:1'));
    const unreachable = chooseCluster({ kubeconfig: file, istioNamespace: 'istio-system' }, () => false, where())!;
    await expect(findClusterPod(unreachable, 'plain', 'default')).rejects.toThrow(/^cluster first: the API server https:\/\/127\.0\.0\.1:1 does not answer GET \/api\/v1\/namespaces\/default\/pods\/plain \(.+\)$/);
  });

  it('refuses a kubeconfig whose token the API server does not take', async () => {
    const wrong = loadKubeConfig({ kubeconfig }, where());
    wrong?.users.forEach((user) => Object.assign(user, { token: 'wrong' }));
    await expect(findClusterPod({ ...cluster, config: wrong! }, 'plain', 'default')).rejects.toThrow('cluster first: GET /api/v1/namespaces/default/pods/plain: 401 Unauthorized');
  });
});
