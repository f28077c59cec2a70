import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCommandLine } from '../command-line.ts';

const envoyDump = fileURLToPath(new URL('./testdata/envoy-dump.json', import.meta.url));
const istiodDump = fileURLToPath(new URL('./testdata/istiod-dump.json', import.meta.url));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('mizzenctl proxy-config', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mizzenctl-pc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a table with istioctl columns from a saved dump', async () => {
    const result = await run(['proxy-config', 'clusters', '--file', envoyDump, '--fqdn', 'api', '--subset', 'v2']);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toBe(
      'SERVICE FQDN                PORT  SUBSET  DIRECTION  TYPE  DESTINATION RULE\n' + 'api.shop.svc.cluster.local  8080  v2      outbound   EDS   api-subsets.shop\n',
    );
  });

  it('answers to pc, with each view and its flags', async () => {
    expect((await run(['pc', 'listeners', '-f', envoyDump, '--type', 'http'])).out).toContain('/healthz/ready*');
    const listeners = await run(['pc', 'listeners', '-f', istiodDump, '--port', '27017']);
    expect(listeners.out).toContain('Cluster: outbound|27017||mongodb.default.svc.cluster.local');
    const routes = await run(['pc', 'routes', '-f', istiodDump, '--name', 'inbound|9080||']);
    expect(routes.out.trimEnd().split('\n')).toHaveLength(2);
    const endpoints = await run(['pc', 'endpoints', '-f', envoyDump, '--status', 'draining']);
    expect(endpoints.out).toContain('10.1.4.9:8080  DRAINING');
    expect(endpoints.out.trimEnd().split('\n')).toHaveLength(2);
  });

  it('prints the filtered Envoy JSON with -o json and -o yaml', async () => {
    const json = JSON.parse((await run(['pc', 'listeners', '-f', envoyDump, '--port', '8080', '-o', 'json'])).out) as { name: string }[];
    expect(json.map((l) => l.name)).toEqual(['0.0.0.0_8080']);
    const yaml = parse((await run(['pc', 'endpoints', '-f', envoyDump, '--address', '10.1.3.5', '-o', 'yaml'])).out) as { cluster_name: string; endpoints: { lb_endpoints: unknown[] }[] }[];
    expect(yaml).toHaveLength(1);
    expect(yaml[0].endpoints.flatMap((l) => l.lb_endpoints)).toHaveLength(1);
    const bootstrap = JSON.parse((await run(['pc', 'bootstrap', '-f', envoyDump])).out) as { node: { cluster: string } };
    expect(bootstrap.node.cluster).toBe('details.shop');
  });

  it('prints every table with all', async () => {
    const result = await run(['pc', 'all', '-f', istiodDump]);
    for (const header of ['SERVICE FQDN', 'ADDRESSES', 'VHOST NAME', 'OUTLIER CHECK']) expect(result.out).toContain(header);
  });

  it("reads Envoy's /clusters?format=json for endpoints", async () => {
    const file = join(dir, 'clusters.json');
    const host = (ip: string, outlier: boolean) => ({ address: { socket_address: { address: ip, port_value: 9080 } }, health_status: { eds_health_status: 'HEALTHY', failed_outlier_check: outlier } });
    await writeFile(file, JSON.stringify({ cluster_statuses: [{ name: 'outbound|9080||reviews.default.svc.cluster.local', host_statuses: [host('10.244.0.11', false), host('10.244.0.12', true)] }] }));
    expect((await run(['pc', 'endpoints', '-f', file])).out).toContain('10.244.0.12:9080  HEALTHY  FAILED');
    const raw = JSON.parse((await run(['pc', 'endpoints', '-f', file, '--address', '10.244.0.11', '-o', 'json'])).out) as { cluster_statuses: { host_statuses: unknown[] }[] };
    expect(raw.cluster_statuses[0].host_statuses).toHaveLength(1);
  });

  it('says clearly what is wrong', async () => {
    expect(await run(['pc', 'listeners'])).toMatchObject({ code: 1, err: 'error: name a pod (POD[.NAMESPACE]) or give --file DUMP.json\n' });
    expect(await run(['pc', 'listeners', 'productpage', '--state-dir', dir])).toMatchObject({ code: 1, err: expect.stringContaining('pod productpage in namespace default: not in any running local mesh') });
    expect(await run(['pc', 'routes', 'ratings', '-n', 'shop', '--state-dir', dir])).toMatchObject({ code: 1, err: expect.stringContaining('pod ratings in namespace shop') });
    expect(await run(['pc', 'listeners', '-f', join(dir, 'missing.json')])).toMatchObject({ code: 1, err: expect.stringContaining('missing.json: cannot read') });
    const notJson = join(dir, 'bad.json');
    await writeFile(notJson, '{');
    expect(await run(['pc', 'clusters', '-f', notJson])).toMatchObject({ code: 1, err: expect.stringContaining('bad.json: not JSON') });
    const notDump = join(dir, 'not-dump.json');
    await writeFile(notDump, '{"listeners": []}');
    expect(await run(['pc', 'clusters', '-f', notDump])).toMatchObject({ code: 1, err: expect.stringContaining('"configs" is missing or not a list') });
    expect(await run(['pc', 'clusters', '-f', envoyDump, '--port', 'http'])).toMatchObject({ code: 2, err: expect.stringContaining('not a port') });
    expect(await run(['pc', 'listeners', '-f', envoyDump, '--type', 'udp'])).toMatchObject({ code: 2, err: expect.stringContaining('not HTTP, TCP or HTTP+TCP') });
    expect(await run(['pc', 'clusters', '-f', envoyDump, '-o', 'xml'])).toMatchObject({ code: 2, err: expect.stringContaining('Allowed choices are short, json, yaml') });
  });
});
