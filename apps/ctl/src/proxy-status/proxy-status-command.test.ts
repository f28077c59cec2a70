import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { runCommandLine } from '../command-line.ts';

const proxyId = 'sidecar~10.244.1.2~productpage-v1-7d6c-fghij.default~default.svc.cluster.local';
const syncz = [
  { proxy: proxyId, istio_version: '1.0.0', cluster_sent: 'v1', cluster_acked: 'v1', cluster_status: 'SYNCED', listener_sent: 'v1', listener_acked: '', listener_status: 'STALE' },
];

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** An istiod's debug server on loopback, serving syncz and the config dump of its one proxy. */
describe('mizzenctl proxy-status', () => {
  let server: Server;
  let address = '';
  let dir = '';
  let istiodDump = '';
  const requests: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mizzenctl-ps-'));
    istiodDump = await readFile(new URL('../proxy-config/testdata/istiod-dump.json', import.meta.url), 'utf8');
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const url = new URL(request.url ?? '/', 'http://istiod');
      response.setHeader('content-type', 'application/json');
      if (url.pathname === '/debug/syncz') return response.end(JSON.stringify(syncz));
      if (url.pathname === '/debug/config_dump' && url.searchParams.get('proxyID') === proxyId) return response.end(istiodDump);
      response.statusCode = 404;
      response.end(JSON.stringify({ error: `proxy ${url.searchParams.get('proxyID')} is not connected` }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints a row per proxy from istiod's syncz", async () => {
    const result = await run(['proxy-status', '--istiod-address', address]);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out.split('\n').map((line) => line.split(/ {2,}/))).toEqual([
      ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION'],
      ['productpage-v1-7d6c-fghij.default', 'Kubernetes', 'SYNCED', 'STALE', 'NOT SENT', 'NOT SENT', 'NOT SENT', address, '1.0.0'],
      [''],
    ]);
  });

  it("compares a proxy's dump with istiod's, found by a name prefix (as ps)", async () => {
    const same = join(dir, 'same.json');
    await writeFile(same, istiodDump);
    const result = await run(['ps', 'productpage', '--istiod-address', address, '--file', same]);
    expect(result).toMatchObject({ code: 0, err: '', out: 'Clusters Match\nListeners Match\nRoutes Match\n' });
    expect(requests).toContain(`/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`);

    const emptied = join(dir, 'emptied.json');
    await writeFile(emptied, JSON.stringify({ configs: [] }));
    const differs = await run(['ps', 'productpage-v1-7d6c-fghij.default', '--istiod-address', address, '-f', emptied]);
    expect(differs.code).toBe(0);
    expect(differs.out).toContain("--- Istiod Clusters\n+++ Envoy Clusters\n@@ ");
    expect(differs.out).toContain("Clusters Don't Match\n");
  });

  it("prints istiod's sync status as JSON or YAML with -o, and a proxy's two dumps", async () => {
    const json = await run(['ps', '--istiod-address', address, '-o', 'json']);
    expect(json).toMatchObject({ code: 0, err: '' });
    expect(JSON.parse(json.out)).toEqual(syncz);
    expect(parse((await run(['ps', '--istiod-address', address, '-o', 'yaml'])).out)).toEqual(syncz);
    const same = join(dir, 'same-for-json.json');
    await writeFile(same, istiodDump);
    const both = JSON.parse((await run(['ps', 'productpage', '--istiod-address', address, '-f', same, '-o', 'json'])).out) as { istiod: unknown; proxy: unknown };
    expect(both).toEqual({ istiod: JSON.parse(istiodDump), proxy: JSON.parse(istiodDump) });
    expect(await run(['ps', '--istiod-address', address, '-o', 'wide'])).toMatchObject({ code: 2, err: expect.stringContaining('Allowed choices are json, yaml') });
  });

  it('names a proxy istiod does not know, and an istiod that does not answer', async () => {
    const unknown = await run(['ps', 'reviews', '--istiod-address', address, '-f', join(dir, 'none.json')]);
    expect(unknown).toMatchObject({ code: 1, err: 'error: proxy reviews.default: not connected to istiod\n' });
    const silent = `127.0.0.1:${await freePort()}`;
    const down = await run(['proxy-status', '--istiod-address', silent]);
    expect(down.code).toBe(1);
    expect(down.err).toContain(`error: istiod at ${silent} does not answer /debug/syncz (`);
  });

  it('finds no istiod without a running local mesh', async () => {
    const result = await run(['proxy-status', '--state-dir', join(dir, 'no-meshes')]);
    expect(result).toMatchObject({ code: 1, err: 'error: no local mesh is running: start one with mizzenctl local up, or give --istiod-address HOST:PORT\n' });
  });
});
