import { copyFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdsClient, TypeUrl, type JsonObject } from '@mizzen/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIstiod, type Istiod } from '../server.ts';

// istiod's /metrics scraped over HTTP while a real ADS client connects, ACKs, NACKs and leaves.

const node = {
  id: 'sidecar~10.244.0.10~productpage-v1-1.default~default.svc.cluster.local',
  metadata: { NAME: 'productpage-v1-1', NAMESPACE: 'default', LABELS: { app: 'productpage' }, INTERCEPTION_MODE: 'NONE' },
};

const virtualService = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  http: [{ route: [{ destination: { host: reviews }, weight: 100 }], timeout: 3s }]
`;

describe('istiod metrics', { timeout: 20_000 }, () => {
  let dir: string;
  let istiod: Istiod;
  let client: AdsClient | undefined;
  const logWaiters: { match: (line: string) => boolean; resolve: () => void }[] = [];
  const responses: { typeUrl: string; resources: JsonObject[] }[] = [];
  let onResponse: (() => void) | undefined;

  function nextLog(match: (line: string) => boolean): Promise<void> {
    return new Promise((resolve) => logWaiters.push({ match, resolve }));
  }

  async function scrape(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${istiod.monitoringPort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.text();
  }

  /** The value of one sample line, "name{labels}". */
  function sample(text: string, series: string): number | undefined {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mizzen-istiod-metrics-'));
    await copyFile(new URL('../networking/testdata/bookinfo.yaml', import.meta.url), join(dir, 'bookinfo.yaml'));
    istiod = await startIstiod({
      configDirs: [dir],
      xdsAddress: '127.0.0.1:0',
      httpAddress: '127.0.0.1:0',
      monitoring: { address: '127.0.0.1:0' },
      debounceMs: 10,
      log: (line) => {
        for (const w of logWaiters.filter((w) => w.match(line))) w.resolve();
      },
    });
  });

  afterAll(async () => {
    client?.close();
    await istiod?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts services and virtual services, and no proxies before any connects', async () => {
    const text = await scrape();
    expect(sample(text, 'pilot_xds')).toBe(0);
    expect(sample(text, 'pilot_services')).toBe(4);
    expect(sample(text, 'pilot_virt_services')).toBe(0);
    expect(text).toContain('# TYPE pilot_xds_push_time histogram');
  });

  it('counts pushes, push times and rejects per type, and connected proxies', async () => {
    const rejected = nextLog((line) => line.includes('rejected type.googleapis.com/envoy.config.listener.v3.Listener'));
    client = new AdsClient({
      target: `127.0.0.1:${istiod.xdsPort}`,
      node,
      onResources: (typeUrl, resources) => {
        responses.push({ typeUrl, resources });
        onResponse?.();
        return typeUrl === TypeUrl.Listener ? 'listeners refused by the test client' : undefined;
      },
    });
    client.subscribe(TypeUrl.Cluster, []);
    client.subscribe(TypeUrl.Listener, []);
    await rejected;
    const text = await scrape();
    expect(sample(text, 'pilot_xds')).toBe(1);
    expect(sample(text, 'pilot_xds_pushes{type="cds"}')).toBe(1);
    expect(sample(text, 'pilot_xds_pushes{type="lds"}')).toBe(1);
    expect(sample(text, 'pilot_xds_push_time_count{type="cds"}')).toBe(1);
    expect(sample(text, 'pilot_xds_push_time_bucket{type="cds",le="+Inf"}')).toBe(1);
    expect(sample(text, 'pilot_total_xds_rejects{type="lds"}')).toBe(1);
    expect(sample(text, 'pilot_total_xds_rejects{type="cds"}')).toBeUndefined();
  });

  it('times a config change until it is pushed', async () => {
    const routes = new Promise<void>((resolve) => {
      onResponse = () => {
        if (responses.at(-1)?.typeUrl === TypeUrl.RouteConfiguration && JSON.stringify(responses.at(-1)?.resources).includes('"3s"')) resolve();
      };
    });
    client!.subscribe(TypeUrl.RouteConfiguration, ['9080']);
    await writeFile(join(dir, '.reviews.partial'), virtualService);
    await rename(join(dir, '.reviews.partial'), join(dir, 'reviews.yaml'));
    await routes;
    const text = await scrape();
    expect(sample(text, 'pilot_virt_services')).toBe(1);
    expect(sample(text, 'pilot_proxy_convergence_time_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'pilot_proxy_convergence_time_sum')).toBeGreaterThan(0);
  });

  it('drops a proxy from the count when it disconnects', async () => {
    const gone = nextLog((line) => line.endsWith('disconnected'));
    client!.close();
    client = undefined;
    await gone;
    expect(sample(await scrape(), 'pilot_xds')).toBe(0);
  });

  it('answers only GET and HEAD on /metrics', async () => {
    const base = `http://127.0.0.1:${istiod.monitoringPort}`;
    expect((await fetch(`${base}/stats`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
  });

  it('fails to start on a taken metrics address, unless metrics are optional', async () => {
    const taken = `127.0.0.1:${istiod.monitoringPort}`;
    const base = { configDirs: [dir], xdsAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', log: () => {} };
    await expect(startIstiod({ ...base, monitoring: { address: taken } })).rejects.toThrow(`cannot listen on ${taken}`);
    const withoutMetrics = await startIstiod({ ...base, monitoring: { address: taken, optional: true } });
    expect(withoutMetrics.monitoringPort).toBeUndefined();
    await withoutMetrics.close();
  });
});
