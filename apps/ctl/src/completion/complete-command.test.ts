import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podObject, startFakeApiServer, type FakeApiServer } from '../cluster/fake-api-server.ts';
import { runCommandLine } from '../command-line.ts';
import { typedFlags } from './typed-flags.ts';

async function mizzenctl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

let state = '';
let api: FakeApiServer;
let kubeconfig = '';

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), 'mizzenctl-complete-'));
  await mkdir(join(state, 'm1'));
  const pod = (name: string, namespace: string) => ({ name, namespace, netns: `mizzen-${name}`, ip: '10.244.7.2' });
  const record = { id: 'm1', configDir: '/nowhere', runner: { pid: 1, startTime: null }, gateway: '10.244.7.1', pods: [pod('hello-frontend-1', 'default'), pod('hello-backend-2', 'default'), pod('echo-3', 'tools')], processes: [] };
  await writeFile(join(state, 'm1', 'mesh.json'), JSON.stringify(record));
  // Not a mesh: a folder without a record lists nothing and breaks nothing.
  await mkdir(join(state, 'stray'));
  api = await startFakeApiServer(
    [
      podObject('reviews-v1-abc', 'default', { app: 'reviews' }, '10.0.0.5'),
      podObject('istiod-1', 'istio-system', { app: 'istiod' }, '10.0.0.2'),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
    ],
    [],
  );
  kubeconfig = await api.kubeconfig();
});

afterAll(async () => {
  await api.close();
  await rm(state, { recursive: true, force: true });
});

describe('mizzenctl __complete', () => {
  it('lists the pods and namespaces of the local mesh', async () => {
    expect(await mizzenctl(['__complete', 'pods', '--', 'pc', 'clusters', '--state-dir', state])).toEqual({ code: 0, out: 'hello-backend-2\nhello-frontend-1\n', err: '' });
    expect((await mizzenctl(['__complete', 'pods', '--', 'ps', '-n', 'tools', `--state-dir=${state}`])).out).toBe('echo-3\n');
    expect((await mizzenctl(['__complete', 'namespaces', '--', 'ps', '--state-dir', state])).out).toBe('default\ntools\n');
  });

  it('lists those of the cluster the typed kubeconfig names', async () => {
    expect((await mizzenctl(['__complete', 'pods', '--', 'pc', 'clusters', '--state-dir', state, '--kubeconfig', kubeconfig])).out).toBe('reviews-v1-abc\n');
    expect((await mizzenctl(['__complete', 'pods', '--', 'x', 'explain', '-c', kubeconfig, '--namespace=istio-system'])).out).toBe('istiod-1\n');
    expect((await mizzenctl(['__complete', 'namespaces', '--', 'ps', '--kubeconfig', kubeconfig])).out).toBe('default\nistio-system\n');
  });

  it('says why it lists nothing, for someone running it by hand, and stays out of help', async () => {
    expect(await mizzenctl(['__complete', 'pods', '--', 'pc', 'clusters', '--kubeconfig', '/missing/config'])).toEqual({ code: 1, out: '', err: 'error: kubeconfig /missing/config: does not exist\n' });
    expect((await mizzenctl(['--help'])).out).not.toContain('__complete');
  });
});

describe('the flags of a line being typed', () => {
  it('reads the namespace and the mesh, whichever way they are spelled, and ignores the rest', () => {
    expect(typedFlags(['pc', 'clusters', '-n', 'ns', '--context=prod', '--local', '--fqdn', 'x'])).toEqual({ namespace: 'ns', context: 'prod', local: true });
    expect(typedFlags(['ps', '--kubeconfig'])).toEqual({ local: false });
  });
});
