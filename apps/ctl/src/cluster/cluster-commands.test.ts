import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommandLine } from '../command-line.ts';
import { podObject, startFakeApiServer, type FakeApiServer } from './fake-api-server.ts';

// The commands against a cluster: an API server that answers as one does, a sidecar's admin
// API on the pod's loopback (port-forward only) and two istiod pods, each with its own proxy.
const dumpFile = new URL('../proxy-config/testdata/istiod-dump.json', import.meta.url).pathname;
const reviewsId = 'sidecar~10.244.0.12~reviews-v1-5d8f9c7b6-x2k4p.default~default.svc.cluster.local';
const productpageId = 'sidecar~10.244.0.13~productpage-v1-6b746f74dc-9rlmh.default~default.svc.cluster.local';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

async function serve(answer: (url: URL) => unknown): Promise<Server> {
  const server = createServer((req, res) => {
    const body = answer(new URL(req.url ?? '/', 'http://pod'));
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body ?? { error: 'not found' }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;
const syncEntry = (proxy: string, version: string) => ({ proxy, istio_version: version, cluster_sent: 'v1', cluster_acked: 'v1', listener_sent: 'v1', listener_acked: 'v1' });

let dump = '';
let api: FakeApiServer;
let kubeconfig = '';
const servers: Server[] = [];

beforeAll(async () => {
  dump = await readFile(dumpFile, 'utf8');
  const admin = await serve((url) => (url.pathname === '/config_dump' ? dump : undefined));
  const istiod = (name: string, proxies: unknown[]) =>
    serve((url) => {
      if (url.pathname === '/debug/syncz') return proxies;
      if (url.pathname === '/version') return { version: `1.2.${name === 'istiod-a' ? 0 : 1}`, revision: 'default', node_version: 'v24', status: 'Clean', tag: '1.2' };
      if (url.pathname === '/debug/config_dump' && url.searchParams.get('proxyID') === reviewsId) return dump;
      return undefined;
    });
  const istiodA = await istiod('istiod-a', [syncEntry(reviewsId, '1.2.0')]);
  const istiodB = await istiod('istiod-b', [syncEntry(productpageId, '1.2.1')]);
  servers.push(admin, istiodA, istiodB);
  const objects = [
    podObject('reviews-v1-5d8f9c7b6-x2k4p', 'default', { app: 'reviews', version: 'v1' }, '10.244.0.12'),
    podObject('istiod-a', 'istio-system', { app: 'istiod' }, '10.244.0.2', ['discovery']),
    podObject('istiod-b', 'istio-system', { app: 'istiod' }, '10.244.0.3', ['discovery']),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: 'default' }, spec: { selector: { app: 'reviews' }, ports: [{ name: 'http', port: 9080 }] } },
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'reviews', namespace: 'default' },
      spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
    },
  ];
  api = await startFakeApiServer(objects, [
    { namespace: 'default', pod: 'reviews-v1-5d8f9c7b6-x2k4p', port: 15000, target: portOf(admin), podIp: false },
    { namespace: 'istio-system', pod: 'istiod-a', port: 8080, target: portOf(istiodA), podIp: true },
    { namespace: 'istio-system', pod: 'istiod-b', port: 8080, target: portOf(istiodB), podIp: true },
  ]);
  kubeconfig = await api.kubeconfig();
});

afterAll(async () => {
  await api.close();
  servers.forEach((server) => server.close());
});

describe('mizzenctl against a cluster', () => {
  it("prints a pod's proxy-config views from its sidecar, the same as from the saved dump", async () => {
    for (const view of ['clusters', 'listeners', 'routes', 'endpoints']) {
      const fromCluster = await run(['pc', view, 'reviews-v1', '--kubeconfig', kubeconfig]);
      expect(fromCluster).toEqual({ code: 0, out: (await run(['pc', view, '--file', dumpFile])).out, err: '' });
    }
    expect((await run(['pc', 'clusters', 'reviews-v1.default', '--kubeconfig', kubeconfig, '--fqdn', 'ratings'])).out).toContain('ratings.default.svc.cluster.local');
    expect(api.requests).toContain('/api/v1/namespaces/default/pods/reviews-v1-5d8f9c7b6-x2k4p/portforward?ports=15000');
  });

  it('lists every proxy of every istiod pod, naming the istiod each is connected to', async () => {
    const result = await run(['ps', '--kubeconfig', kubeconfig]);
    expect(result.code).toBe(0);
    const rows = result.out.trim().split('\n').map((line) => line.split(/\s{2,}/));
    expect(rows.map((row) => [row[0], row[7], row[8]])).toEqual([
      ['NAME', 'ISTIOD', 'VERSION'],
      ['productpage-v1-6b746f74dc-9rlmh.default', 'istiod-b', '1.2.1'],
      ['reviews-v1-5d8f9c7b6-x2k4p.default', 'istiod-a', '1.2.0'],
    ]);
  });

  it("compares a pod's proxy with what its own istiod would send it", async () => {
    const result = await run(['ps', 'reviews-v1', '--kubeconfig', kubeconfig]);
    expect(result).toEqual({ code: 0, out: 'Clusters Match\nListeners Match\nRoutes Match\n', err: '' });
    expect(api.requests).toContain(`/api/v1/namespaces/istio-system/pods/istiod-a:8080/proxy/debug/config_dump?proxyID=${encodeURIComponent(reviewsId)}`);
  });

  it("gives the versions of the cluster's istiods and of its proxies", async () => {
    const result = await run(['version', '--kubeconfig', kubeconfig, '--short=false']);
    expect(result.err).toBe('');
    expect(result.out).toContain('control plane version: istiod (revision default): version 1.2.0');
    expect(result.out).toContain('control plane version: istiod (revision default): version 1.2.1');
    expect(result.out).toContain('data plane versions:\n  productpage-v1-6b746f74dc-9rlmh.default: 1.2.1\n  reviews-v1-5d8f9c7b6-x2k4p.default: 1.2.0\n');
     expect((await run(['version', '--kubeconfig', kubeconfig])).out).toMatch(/\ncontrol plane version: 1\.2\.0, 1\.2\.1\ndata plane version: 1\.2\.0 \(1 proxy\), 1\.2\.1 \(1 proxy\)\n$/);
  });

  it("explains a request from the pod's own config, as from the saved dump", async () => {
    const fromCluster = await run(['x', 'explain', 'reviews-v1', 'http://ratings:9080/ratings/0', '--kubeconfig', kubeconfig]);
    expect(fromCluster).toEqual({ code: 0, out: (await run(['x', 'explain', 'reviews-v1', 'http://ratings:9080/ratings/0', '--file', dumpFile])).out, err: '' });
  });

  it("describes a pod from the cluster's objects", async () => {
    const result = await run(['x', 'describe', 'pod', 'reviews-v1', '--kubeconfig', kubeconfig]);
    expect(result.err).toBe('');
    expect(result.out).toContain('Pod: reviews-v1-5d8f9c7b6-x2k4p\n');
    expect(result.out).toContain('Service: reviews\n');
    expect(result.out).toContain('DestinationRule: reviews for "reviews"\n   Matching subsets: v1\n');
  });

  it("looks for a pod named without a namespace in the kubeconfig context's, unless -n says", async () => {
    const inIstioSystem = await api.kubeconfig(['mesh-admin'], 'istio-system');
    expect(await run(['pc', 'clusters', 'reviews-v1', '--kubeconfig', inIstioSystem])).toMatchObject({ code: 1, err: 'error: pod reviews-v1 in namespace istio-system: not found in cluster mesh-admin\n' });
    expect(await run(['pc', 'clusters', 'reviews-v1', '-n', 'default', '--kubeconfig', inIstioSystem])).toMatchObject({ code: 0, err: '' });
    expect((await run(['__complete', 'pods', '--', 'ps', '--kubeconfig', inIstioSystem])).out).toBe('istiod-a\nistiod-b\n');
  });

  it('says in one line which pod, context or namespace is wrong, with exit code 1', async () => {
    expect(await run(['pc', 'clusters', 'ratings', '--kubeconfig', kubeconfig])).toEqual({ code: 1, out: '', err: 'error: pod ratings in namespace default: not found in cluster test\n' });
    expect(await run(['ps', '--kubeconfig', kubeconfig, '-i', 'mesh'])).toMatchObject({ code: 1, err: expect.stringMatching(/^error: cluster test: no running istiod pod in namespace mesh .*\n$/) });
    expect(await run(['pc', 'clusters', 'reviews-v1', '--kubeconfig', kubeconfig, '--context', 'prod'])).toEqual({
      code: 1,
      out: '',
      err: 'error: --context prod: not in the kubeconfig (it has test)\n',
    });
  });
});
