import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podObject, startFakeApiServer, type FakeApiServer } from '../cluster/fake-api-server.ts';
import { runCommandLine } from '../command-line.ts';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** A proxy's /logging as Envoy's: POST only, `?level=` sets the level. */
async function adminServer(): Promise<Server & { level: string; methods: string[] }> {
  const server = Object.assign(
    createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      server.methods.push(req.method ?? '');
      if (req.method !== 'POST') return res.writeHead(405).end('This endpoint requires POST\n');
      const level = url.searchParams.get('level');
      if (level) server.level = level;
      res.end(`active loggers:\n  mizzen: ${server.level}\n`);
    }),
    { level: 'warning', methods: [] as string[] },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const portOf = (server: Server) => (server.address() as AddressInfo).port;

let api: FakeApiServer;
let kubeconfig = '';
let v1: Awaited<ReturnType<typeof adminServer>>;
let v2: Awaited<ReturnType<typeof adminServer>>;

beforeAll(async () => {
  v1 = await adminServer();
  v2 = await adminServer();
  api = await startFakeApiServer(
    [
      podObject('reviews-v1-abc', 'default', { app: 'reviews', version: 'v1' }, '10.0.0.5'),
      podObject('reviews-v2-def', 'default', { app: 'reviews', version: 'v2' }, '10.0.0.6'),
      podObject('plain', 'default', { app: 'reviews' }, '10.0.0.7', ['app']),
    ],
    [
      { namespace: 'default', pod: 'reviews-v1-abc', port: 15000, target: portOf(v1), podIp: false },
      { namespace: 'default', pod: 'reviews-v2-def', port: 15000, target: portOf(v2), podIp: false },
    ],
  );
  kubeconfig = await api.kubeconfig();
});

afterAll(async () => {
  await api.close();
  v1.close();
  v2.close();
});

describe('mizzenctl proxy-config log', () => {
  it("shows one pod's proxy log level, asking with POST as Envoy's /logging wants", async () => {
    expect(await run(['pc', 'log', 'reviews-v1', '--kubeconfig', kubeconfig])).toEqual({ code: 0, out: 'reviews-v1-abc.default:\nactive loggers:\n  mizzen: warning\n', err: '' });
    expect(v1.methods).toEqual(['POST']);
  });

  it('sets the level of every proxy a label selector picks, leaving pods without one aside', async () => {
    const result = await run(['pc', 'log', '-l', 'app=reviews', '--level', 'debug', '--kubeconfig', kubeconfig]);
    expect(result).toEqual({ code: 0, out: 'reviews-v1-abc.default:\nactive loggers:\n  mizzen: debug\nreviews-v2-def.default:\nactive loggers:\n  mizzen: debug\n', err: '' });
    expect([v1.level, v2.level]).toEqual(['debug', 'debug']);
    expect((await run(['pc', 'log', '-l', 'version!=v1', '--level', 'info', '--kubeconfig', kubeconfig])).out).toBe('reviews-v2-def.default:\nactive loggers:\n  mizzen: info\n');
    expect(v1.level).toBe('debug');
  });

  it('says what is wrong: no pod or both, a selector that picks none or cannot be read, a level', async () => {
    expect(await run(['pc', 'log', '--kubeconfig', kubeconfig])).toMatchObject({ code: 1, err: 'error: name a pod (POD[.NAMESPACE]) or give -l SELECTOR, not both\n' });
    expect(await run(['pc', 'log', '-l', 'app=ratings', '--kubeconfig', kubeconfig])).toMatchObject({ code: 1, err: 'error: no pod with a proxy in namespace default matches -l app=ratings\n' });
    expect(await run(['pc', 'log', '-l', 'app in (a)', '--kubeconfig', kubeconfig])).toMatchObject({ code: 1, err: expect.stringContaining('cannot read "app in (a)"') });
    expect(await run(['pc', 'log', 'reviews-v1', '--level', 'loud', '--kubeconfig', kubeconfig])).toMatchObject({ code: 2, err: expect.stringContaining('Allowed choices are trace, debug') });
  });
});

describe('mizzenctl proxy-config log on the local mesh', () => {
  let state = '';
  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), 'mizzenctl-log-'));
    await mkdir(join(state, 'm1', 'pods'), { recursive: true });
    const record = { id: 'm1', configDir: '/nowhere', runner: { pid: 1, startTime: null }, gateway: '10.244.7.1', pods: [{ name: 'web-1', namespace: 'default', netns: 'mz-m1-1', ip: '10.244.7.2' }], processes: [] };
    await writeFile(join(state, 'm1', 'mesh.json'), JSON.stringify(record));
    await writeFile(join(state, 'm1', 'pods', 'web-1.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, labels: {app: web}}\nspec: {containers: [{name: web}]}\n');
  });
  afterAll(() => rm(state, { recursive: true, force: true }));

  it('picks local pods by the labels of the Pod objects the runner wrote', async () => {
    // Asking the pod needs its network namespace, which this test does not make: the error
    // names the pod the selector picked.
    const result = await run(['pc', 'log', '-l', 'app=web', '--state-dir', state, '--local']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^error: pod web-1\.default: .*\n$/);
    expect(await run(['pc', 'log', '-l', 'app=api', '--state-dir', state, '--local'])).toMatchObject({ code: 1, err: 'error: no pod with a proxy in namespace default matches -l app=api\n' });
  });
});
