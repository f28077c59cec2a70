import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKubeConfig, serviceAccountDir } from './kube-config.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadKubeConfig', () => {
  it('uses the current context of a kubeconfig file', async () => {
    const file = join(dir, 'config');
    await writeFile(
      file,
      `apiVersion: v1
kind: Config
current-context: b
clusters: [{ name: one, cluster: { server: "https://127.0.0.1:6443" } }, { name: two, cluster: { server: "https://127.0.0.2:6443" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: a, context: { cluster: one, user: u } }, { name: b, context: { cluster: two, user: u } }]
`,
    );
    expect(loadKubeConfig({ kubeconfig: file }).getCurrentCluster()?.server).toBe('https://127.0.0.2:6443');
  });

  it('names what is wrong with a kubeconfig file', async () => {
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'absent') })).toThrow(`kubeconfig ${join(dir, 'absent')}: does not exist`);
    const file = join(dir, 'config');
    await writeFile(file, 'apiVersion: v1\nkind: Config\ncurrent-context: nowhere\nclusters: []\nusers: []\ncontexts: []\n');
    expect(() => loadKubeConfig({ kubeconfig: file })).toThrow(`kubeconfig ${file}: current context "nowhere" names no cluster`);
  });

  it('reads the in-cluster config from the service account and the environment', async () => {
    await mkdir(join(dir, serviceAccountDir), { recursive: true });
    await writeFile(join(dir, serviceAccountDir, 'token'), 'token');
    const hostBefore = process.env.KUBERNETES_SERVICE_HOST;
    const config = loadKubeConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, root: dir });
    expect(config.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
    expect(config.getCurrentCluster()?.caFile).toBe(join(dir, serviceAccountDir, 'ca.crt'));
    expect(process.env.KUBERNETES_SERVICE_HOST).toBe(hostBefore);
  });

  it('says why the in-cluster config cannot be used', () => {
    expect(() => loadKubeConfig({ env: {} })).toThrow('not running in a cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set); give a kubeconfig file');
    expect(() => loadKubeConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, root: dir })).toThrow(
      `in-cluster config: the service account token ${join(dir, serviceAccountDir, 'token')} does not exist`,
    );
  });
});
