import { copyFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdsClient, TypeUrl, type JsonObject } from '@mizzen/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIstiod, type Istiod } from './server.ts';

// istiod on real loopback sockets, with a real ADS client subscribing the way a proxy does.

const node = {
  id: 'sidecar~10.244.0.10~productpage-v1-1.default~default.svc.cluster.local',
  cluster: 'productpage.default',
  metadata: { NAME: 'productpage-v1-1', NAMESPACE: 'default', LABELS: { app: 'productpage' }, INTERCEPTION_MODE: 'NONE', ISTIO_VERSION: '1.0.0' },
};

/** Replaces a file in one step, so that istiod never reads it half written. */
async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.partial`, text);
  await rename(`${path}.partial`, path);
}

type Response = { typeUrl: string; resources: JsonObject[]; version: string };

describe('istiod server', { timeout: 20_000 }, () => {
  let dir: string;
  let istiod: Istiod;
  let client: AdsClient;
  const logs: string[] = [];
  const logWaiters: { match: (line: string) => boolean; resolve: () => void }[] = [];
  const responses: Response[] = [];
  let waiters: { match: (r: Response) => boolean; resolve: (r: Response) => void }[] = [];

  function nextResponse(match: (r: Response) => boolean): Promise<Response> {
    const seen = responses.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => waiters.push({ match, resolve }));
  }

  function nextLog(match: (line: string) => boolean): Promise<void> {
    return new Promise((resolve) => logWaiters.push({ match, resolve }));
  }

  async function getJson(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`http://127.0.0.1:${istiod.httpPort}${path}`);
    return { status: response.status, body: await response.json() };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mizzen-istiod-'));
    await copyFile(new URL('./networking/testdata/bookinfo.yaml', import.meta.url), join(dir, 'bookinfo.yaml'));
    istiod = await startIstiod({
      configDirs: [dir],
      xdsAddress: '127.0.0.1:0',
      httpAddress: '127.0.0.1:0',
      debounceMs: 20,
      log: (line) => {
        logs.push(line);
        for (const w of logWaiters.filter((w) => w.match(line))) w.resolve();
      },
    });
    client = new AdsClient({
      target: `127.0.0.1:${istiod.xdsPort}`,
      node,
      onResources: (typeUrl, resources, version) => {
        const response = { typeUrl, resources, version };
        responses.push(response);
        const ready = waiters.filter((w) => w.match(response));
        waiters = waiters.filter((w) => !w.match(response));
        for (const w of ready) w.resolve(response);
        // This client refuses listeners, to show how a rejection is recorded.
        return typeUrl === TypeUrl.Listener ? 'listeners refused by the test client' : undefined;
      },
    });
  });

  afterAll(async () => {
    client?.close();
    await istiod?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a proxy its clusters, endpoints and listeners, and records ACKs and NACKs', async () => {
    client.subscribe(TypeUrl.Cluster, []);
    client.subscribe(TypeUrl.ClusterLoadAssignment, ['outbound|9080||reviews.default.svc.cluster.local']);
    client.subscribe(TypeUrl.Listener, []);
    const clusters = await nextResponse((r) => r.typeUrl === TypeUrl.Cluster);
    expect(clusters.resources.map((c) => c.name)).toContain('outbound|9080||ratings.default.svc.cluster.local');
    const endpoints = await nextResponse((r) => r.typeUrl === TypeUrl.ClusterLoadAssignment);
    expect(JSON.stringify(endpoints.resources)).toContain('10.244.0.12');
    const listeners = await nextResponse((r) => r.typeUrl === TypeUrl.Listener);
    expect(listeners.resources.map((l) => l.name)).toEqual(['10.244.0.10_9080', '127.0.0.1_27017', '127.0.0.1_7070']);

    // Requests on a stream are handled in order: once RDS is answered, the ACKs and the NACK
    // sent before it have been recorded.
    client.subscribe(TypeUrl.RouteConfiguration, ['9080']);
    const routes = await nextResponse((r) => r.typeUrl === TypeUrl.RouteConfiguration);
    expect(routes.resources.map((r) => r.name)).toEqual(['9080']);

    const { body } = await getJson('/debug/syncz');
    expect(body).toMatchObject([
      {
        proxy: node.id,
        istio_version: '1.0.0',
        cluster_status: 'SYNCED',
        cluster_acked: clusters.version,
        endpoint_status: 'SYNCED',
        listener_status: 'NACKED',
        listener_nack: { error: 'listeners refused by the test client' },
      },
    ]);
  });

  it('pushes new endpoints when a file in the folder changes', async () => {
    const pushed = nextResponse((r) => r.typeUrl === TypeUrl.ClusterLoadAssignment && JSON.stringify(r.resources).includes('10.244.0.20'));
    await replaceFile(
      join(dir, 'reviews-v3.yaml'),
      `apiVersion: v1
kind: Pod
metadata: { name: reviews-v3-1, labels: { app: reviews, version: v3 } }
spec: { containers: [{ name: reviews, ports: [{ name: http-web, containerPort: 9080 }] }] }
status: { podIP: 10.244.0.20 }
`,
    );
    const response = await pushed;
    expect(response.resources).toHaveLength(1);
  });

  it('reports a bad document and keeps serving', async () => {
    const reported = nextLog((line) => line.includes('bad.yaml'));
    await replaceFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: broken }\nspec: { ports: [{ port: 0 }] }\n');
    await reported;
    const { body } = await getJson('/debug/configz');
    expect((body as { errors: { resource: string; field: string }[] }).errors).toEqual([
      expect.objectContaining({ resource: 'Service default/broken', field: 'spec.ports[0].port' }),
    ]);
    const registry = (await getJson('/debug/registryz')).body as { services: { hostname: string }[] };
    expect(registry.services.map((s) => s.hostname)).toContain('reviews.default.svc.cluster.local');
  });

  it('dumps the config of a connected proxy, and 404s for an unknown one', async () => {
    const dump = await getJson(`/debug/config_dump?proxyID=${encodeURIComponent(node.id)}`);
    expect(dump.status).toBe(200);
    expect((dump.body as { configs: { '@type': string }[] }).configs.map((c) => c['@type'])).toEqual([
      TypeUrl.ClustersConfigDump,
      TypeUrl.ListenersConfigDump,
      TypeUrl.RoutesConfigDump,
      TypeUrl.EndpointsConfigDump,
    ]);
    expect((await getJson('/debug/config_dump?proxyID=nobody')).status).toBe(404);
    expect((await getJson('/debug/config_dump')).status).toBe(400);
  });

  it("gives its version at /version, and each proxy's in /debug/syncz", async () => {
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default;
    expect(await getJson('/version')).toEqual({ status: 200, body: expect.objectContaining({ version, revision: 'default', node_version: process.version }) });
    const syncz = (await getJson('/debug/syncz')).body as { proxy: string; istio_version: string }[];
    expect(syncz.find((p) => p.proxy === node.id)?.istio_version).toBe('1.0.0');
  });
});
