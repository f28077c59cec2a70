import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInNetns, linkExists, listNetns } from '@mizzen/net';
import { runScript } from '@mizzen/testing';
import { MeshProcess, execFileText, leftovers, openTempDir, mizzenctl, parseStats, podNode, repoRoot, stateEntries, sumStats, type ReadyMesh } from './mesh-process.ts';

// One request from the host into the frontend pod crosses: the frontend's sidecar (inbound,
// captured), the frontend app, which calls http://hello-backend:9000, the frontend's sidecar
// again (outbound, captured from the service's virtual IP), the backend's sidecar (inbound) and
// the backend app. Both apps listen on their pod's loopback only, so nothing reaches them
// except through their own sidecar.

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

  it('resolves a service by each of its names to its virtual IP, inside the pod', async () => {
    const frontend = [...mesh.pods.keys()].find((n) => n.startsWith('hello-frontend-'))!;
    const addresses = new Set<string>();
    for (const name of ['hello-backend', 'hello-backend.default', 'hello-backend.default.svc', 'hello-backend.default.svc.cluster.local']) {
      const result = await execInNetns(`mz-${mesh.id}-${frontend}`, 'getent', ['ahostsv4', name]);
      expect(result.code, `${name}: ${result.stderr}`).toBe(0);
      addresses.add(result.stdout.split(/\s/)[0]);
    }
    expect(addresses.size).toBe(1);
    const [vip] = addresses;
    // DNS itself, without the hosts file: the query to the pod's nameserver is captured to the
    // agent's DNS proxy (15053), which answers from istiod's name table, and a name outside
    // the mesh fails at once (no resolver is reachable from a pod).
    const lookup = `const dns = require('node:dns').promises;
      (async () => {
        const mesh = await dns.resolve4('hello-backend.default.svc.cluster.local');
        const outside = await dns.resolve4('example.invalid').then(() => 'answered', (e) => e.code);
        console.log(JSON.stringify({ mesh, outside }));
      })().catch((e) => { console.error(e.message); process.exit(1); });`;
    const asked = await execInNetns(`mz-${mesh.id}-${frontend}`, 'setpriv', ['--reuid=65532', '--regid=65532', '--clear-groups', '--', await podNode(stateDir, mesh.id), '-e', lookup]);
    expect(asked.code, asked.stderr).toBe(0);
    expect(JSON.parse(asked.stdout)).toEqual({ mesh: [[...addresses][0]], outside: expect.stringMatching(/^E[A-Z]+$/) });
    expect(vip.startsWith(mesh.serviceRange.replace(/0\/24$/, ''))).toBe(true);
    // No pod address is a service address: the name leads to the sidecar, not to a pod.
    expect([...mesh.pods.values()]).not.toContain(vip);
  });

  it('keeps every pod and service address on this machine', async () => {
    const vip = mesh.serviceRange.replace(/0\/24$/, '77');
    // The host black-holes the service range: sent from the host or forwarded from a pod, a
    // packet for a service address meets an unreachable route, never a way out.
    const fromHost = await execFileText('ip', ['-o', 'route', 'get', vip]);
    expect(fromHost.code).not.toBe(0);
    expect(fromHost.stderr).toMatch(/unreachable|No route to host/i);
    const forwarded = await execFileText('ip', ['-o', 'route', 'get', vip, 'from', [...mesh.pods.values()][0], 'iif', `mzbr${mesh.id}`]);
    expect(forwarded.code).not.toBe(0);
    for (const pod of mesh.pods.keys()) {
      const routes = await execInNetns(`mz-${mesh.id}-${pod}`, 'ip', ['-o', 'route', 'show']);
      // The pod's own subnet, and the service range through the bridge (which capture
      // intercepts first): no default route, so nothing else has a way out of the pod.
      expect(routes.stdout.trim().split('\n').map((line) => line.split(' ')[0]).sort()).toEqual([mesh.podRange, mesh.serviceRange].sort());
      const outside = await execInNetns(`mz-${mesh.id}-${pod}`, 'ip', ['route', 'get', '1.1.1.1']);
      expect(outside.code).not.toBe(0);
    }
    // No NAT or forwarding rule on the host mentions the mesh's addresses.
    const nat = await execFileText('iptables-save', []);
    expect(nat.stdout.split('\n').filter((line) => line.includes(mesh.podRange.replace(/0\/24$/, '')) || line.includes(mesh.serviceRange.replace(/0\/24$/, '')))).toEqual([]);
  });

  it('removes every namespace, link, route, rule and state file when stopped', async () => {
    expect(await runner.stop()).toBe(0);
    expect((await listNetns()).filter((ns) => ns.startsWith(`mz-${mesh.id}-`))).toEqual([]);
    expect(await linkExists(`mzbr${mesh.id}`)).toBe(false);
    expect(await leftovers(mesh)).toEqual([]);
    expect(await stateEntries(stateDir)).toEqual([]);
  }, 60_000);
});
