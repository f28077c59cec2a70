import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInNetns, linkExists, listNetns } from '@mizzen/net';
import { runScript } from '@mizzen/testing';
import { MeshProcess, openTempDir, mizzenctl, parseStats, repoRoot, sumStats, type ReadyMesh } from './mesh-process.ts';

// One request from the host into the frontend pod crosses: the frontend's sidecar (inbound),
// the frontend app, the frontend's sidecar again (outbound, 127.0.0.1:9000), the backend's
// sidecar (inbound) and the backend app. Both apps listen on their pod's loopback only, so
// nothing reaches them except through their own sidecar.

const requests = 4;
const backendCluster = 'outbound|9000||hello-backend.default.svc.cluster.local';

let stateDir: string;
let runner: MeshProcess;
let mesh: ReadyMesh;

async function proxyStats(pod: string): Promise<Map<string, number>> {
  const result = await execInNetns(`mz-${mesh.id}-${pod}`, 'curl', ['-sS', '--max-time', '5', 'http://127.0.0.1:15000/stats']);
  expect(result.stderr).toBe('');
  return parseStats(result.stdout);
}

describe('hello mesh on one machine', () => {
  beforeAll(async () => {
    stateDir = await openTempDir('mizzen-e2e-');
    runner = new MeshProcess(join(repoRoot, 'samples/hello/manifests'), stateDir);
    mesh = await runner.ready();
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    // Whatever a failed run left behind, `local down` finds it in the state folder.
    const down = await runScript(mizzenctl, ['local', 'down', '--state-dir', stateDir], { timeoutMs: 30_000 });
    expect(down.code, down.stderr).toBe(0);
    await rm(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('starts every replica as a pod named after its Deployment', () => {
    const names = [...mesh.pods.keys()];
    expect(names.filter((n) => /^hello-backend-[a-z0-9]+-[a-z0-9]{5}$/.test(n))).toHaveLength(2);
    expect(names.filter((n) => /^hello-frontend-[a-z0-9]+-[a-z0-9]{5}$/.test(n))).toHaveLength(1);
    expect(mesh.urls.get('hello-frontend.default')).toMatch(/^http:\/\/10\.244\.\d+\.\d+:8080\/$/);
  });

  it('carries a request frontend -> its sidecar -> the backend sidecar -> backend', async () => {
    const frontendUrl = mesh.urls.get('hello-frontend.default')!;
    const backends = [...mesh.pods.keys()].filter((n) => n.startsWith('hello-backend-'));
    const frontend = [...mesh.pods.keys()].find((n) => n.startsWith('hello-frontend-'))!;
    const answeredBy = new Set<string>();
    for (let i = 0; i < requests; i++) {
      const response = await fetch(frontendUrl);
      const body = (await response.json()) as { pod: string; backend: { pod: string; requestId: string | null } };
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(body.pod).toBe(frontend);
      // The host's answer came back through the frontend's sidecar, which timed the app.
      expect(response.headers.get('x-envoy-upstream-service-time')).toMatch(/^\d+$/);
      expect(backends).toContain(body.backend.pod);
      // The apps add no request id; the frontend's sidecar does, and the frontend passes it on.
      expect(body.backend.requestId).toMatch(/\S/);
      answeredBy.add(body.backend.pod);
    }
    // Round robin over the two backend endpoints.
    expect(answeredBy.size).toBe(2);

    const front = await proxyStats(frontend);
    expect(sumStats(front, /^http\.inbound_.*\.downstream_rq_total$/)).toBe(requests);
    expect(sumStats(front, /^http\.outbound_.*\.downstream_rq_total$/)).toBe(requests);
    expect(front.get('cluster.inbound|8080||.upstream_rq_total')).toBe(requests);
    expect(front.get(`cluster.${backendCluster}.upstream_rq_total`)).toBe(requests);

    const back = await Promise.all(backends.map(proxyStats));
    const total = (pattern: RegExp): number => back.reduce((sum, stats) => sum + sumStats(stats, pattern), 0);
    expect(total(/^http\.inbound_.*\.downstream_rq_total$/)).toBe(requests);
    expect(total(/^cluster\.inbound\|9090\|\|\.upstream_rq_total$/)).toBe(requests);
    expect(total(/^http\.outbound_.*\.downstream_rq_total$/)).toBe(0);
  }, 60_000);

  it('removes every namespace, link and state file when stopped', async () => {
    expect(await runner.stop()).toBe(0);
    expect((await listNetns()).filter((ns) => ns.startsWith(`mz-${mesh.id}-`))).toEqual([]);
    expect(await linkExists(`mzbr${mesh.id}`)).toBe(false);
    expect(await readdir(stateDir)).toEqual([]);
  }, 60_000);
});
