import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { runCommandLine } from '../command-line.ts';

const proxy = (pod: string, version: string) => ({ proxy: `sidecar~10.244.1.2~${pod}~default.svc.cluster.local`, istio_version: version });
const syncz = [proxy('reviews-v1-1.default', '0.1.0'), proxy('productpage-v1-1.default', '0.1.0'), proxy('ratings-v1-1.default', '0.0.9')];
const istiodBuild = { version: '0.2.0', revision: 'default', node_version: 'v24.0.0', status: 'Clean', tag: '0.2.0' };

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', 'version', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** An istiod's debug server on loopback, answering /version and /debug/syncz. */
describe('mizzenctl version', () => {
  let server: Server;
  let address = '';
  let stateDir = '';
  let answers: Record<string, unknown> = {};

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'mizzenctl-version-'));
    server = createServer((request, response) => {
      const body = answers[request.url ?? ''];
      response.statusCode = body === undefined ? 404 : 200;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(body ?? { error: `no such endpoint: ${request.url}` }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('prints the client, control plane and data plane versions, proxies counted by version', async () => {
    answers = { '/version': istiodBuild, '/debug/syncz': syncz };
    expect(await run(['--istiod-address', address])).toEqual({
      code: 0,
      err: '',
      out: `client version: ${packageJson.version}\ncontrol plane version: 0.2.0\ndata plane version: 0.0.9 (1 proxy), 0.1.0 (2 proxies)\n`,
    });
  });

  it('spells out each build and each proxy with --short=false', async () => {
    answers = { '/version': istiodBuild, '/debug/syncz': syncz };
    const { code, out } = await run(['--istiod-address', address, '--short=false']);
    expect(code).toBe(0);
    expect(out.split('\n').slice(1)).toEqual([
      'control plane version: istiod (revision default): version 0.2.0, revision default, node v24.0.0, status Clean, tag 0.2.0',
      'data plane versions:',
      '  productpage-v1-1.default: 0.1.0',
      '  ratings-v1-1.default: 0.0.9',
      '  reviews-v1-1.default: 0.1.0',
      '',
    ]);
    expect(out).toContain(`client version: version ${packageJson.version}, revision default, node ${process.version}`);
  });

  it("prints istioctl's JSON and YAML", async () => {
    answers = { '/version': istiodBuild, '/debug/syncz': syncz.slice(0, 1) };
    const expected = {
      clientVersion: { version: packageJson.version, revision: 'default', node_version: process.version, status: 'Clean', tag: packageJson.version },
      meshVersion: [{ Component: 'istiod', Revision: 'default', Info: istiodBuild }],
      dataPlaneVersion: [{ ID: 'reviews-v1-1.default', IstioVersion: '0.1.0' }],
    };
    const json = await run(['--istiod-address', address, '-o', 'json']);
    expect(JSON.parse(json.out)).toEqual(expected);
    expect(parse((await run(['--istiod-address', address, '-o', 'yaml'])).out)).toEqual(expected);
  });

  it('says when no proxy is connected', async () => {
    answers = { '/version': istiodBuild, '/debug/syncz': [] };
    expect((await run(['--istiod-address', address])).out).toContain('data plane version: none (no proxies connected)\n');
  });

  it('prints the client version alone with --remote=false, asking nobody', async () => {
    answers = {};
    expect(await run(['--remote=false', '--istiod-address', address])).toEqual({ code: 0, err: '', out: `${packageJson.version}\n` });
    expect((await run(['--remote', 'false', '-s', 'false', '--istiod-address', address])).out).toMatch(/^client version: version /);
  });

  it('finds istiod from the local mesh the runner recorded', async () => {
    // istiod listens on the mesh's bridge address at its fixed debug port: here a loopback
    // address where nothing listens, so the error names the address it picked.
    await mkdir(join(stateDir, 'abc'), { recursive: true });
    await writeFile(join(stateDir, 'abc', 'mesh.json'), JSON.stringify({ id: 'abc', configDir: '/none', runner: { pid: 1, startTime: null }, gateway: '127.0.0.9', pods: [], processes: [] }));
    const result = await run(['--state-dir', stateDir]);
    expect(result.code).toBe(1);
    expect(result.out).toBe(`client version: ${packageJson.version}\n`);
    expect(result.err).toContain('istiod at 127.0.0.9:8080 does not answer /version');
    await rm(join(stateDir, 'abc'), { recursive: true });
  });

  it('says, in one line after the client version, that no local mesh runs', async () => {
    expect(await run(['--state-dir', stateDir])).toEqual({
      code: 0,
      err: '',
      out: `client version: ${packageJson.version}\ncontrol plane version: none: no local mesh is running and no kubeconfig is found (start one with mizzenctl local up, or give --kubeconfig FILE or --istiod-address HOST:PORT)\n`,
    });
    const json = await run(['--state-dir', stateDir, '-o', 'json']);
    expect(JSON.parse(json.out)).toEqual({ clientVersion: expect.objectContaining({ version: packageJson.version }) });
    expect(json.err).toContain('no local mesh is running');
  });

  it('exits 1 naming istiod when it answers what is not a version, and 2 for a bad flag', async () => {
    answers = { '/version': { hello: 1 }, '/debug/syncz': [] };
    expect(await run(['--istiod-address', address])).toMatchObject({ code: 1, err: `error: istiod /version: expected an object with a "version"\n` });
    expect(await run(['--short=maybe'])).toMatchObject({ code: 2, err: expect.stringContaining("argument 'maybe' is invalid. expected true or false") });
    expect(await run(['-o', 'table'])).toMatchObject({ code: 2, err: expect.stringContaining('Allowed choices are json, yaml') });
  });

  it('documents its exit codes in --help', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 /);
  });
});
