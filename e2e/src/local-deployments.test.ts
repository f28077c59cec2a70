import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podLog, startOwnMesh, stopOwnMesh, waitFor, type OwnMesh } from './mesh-control.ts';
import { execFileText, mizzenctl } from './mesh-process.ts';

// The runner follows the folder's Deployments while the mesh runs, as Kubernetes does: a
// Deployment added gets its pods (with sidecars), scaled gets more or fewer, a changed pod
// template gets new pods under new names that replace the old, and a removed one loses its
// pods. A container's readiness probe decides when it counts as ready: this app answers its
// probe 503 twice before 200, so a pod is ready only after its third probe.

/** An app whose /ready fails its first two probes; it prints a line for each probe. */
const app = `const http = require('node:http'); let probes = 0;
http.createServer((request, response) => {
  if (request.url === '/ready') { probes++; console.log('probe ' + probes); response.statusCode = probes > 2 ? 200 : 503; }
  response.end(process.env.VERSION || 'none');
}).listen(8080, '127.0.0.1');`;

function probed(replicas: number, version: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: probed
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: probed }
  template:
    metadata:
      labels: { app: probed }
    spec:
      containers:
        - name: probed
          command: [node, -e, ${JSON.stringify(app)}]
          env:
            - { name: VERSION, value: "${version}" }
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet: { path: /ready, port: 8080 }
            periodSeconds: 1
`;
}

interface PodStatus {
  name: string;
  ready: string;
  containers: string;
}

let own: OwnMesh | undefined;
let file: string;

async function probedPods(): Promise<PodStatus[]> {
  const status = await execFileText(process.execPath, [mizzenctl, 'local', 'status', '--state-dir', own!.stateDir, '-o', 'json']);
  if (status.code !== 0) throw new Error(`local status exited ${status.code}: ${status.stderr}`);
  const meshes = (JSON.parse(status.stdout) as { meshes: { id: string; pods: PodStatus[] }[] }).meshes;
  return meshes.find((m) => m.id === own!.mesh.id)!.pods.filter((p) => p.name.startsWith('probed-'));
}

/** The pods of `probed` once there are `count` of them, all ready, and no other. */
async function readyPods(count: number, except: string[] = []): Promise<PodStatus[]> {
  return (
    await waitFor(
      `${count} ready pods of probed`,
      async () => {
        const pods = await probedPods();
        return pods.length === count && pods.every((p) => p.ready === '2/2' && !except.includes(p.name)) ? pods : undefined;
      },
      90_000,
      250,
    )
  ).value;
}

/** The pod-template-hash in a pod's name (DEPLOYMENT-HASH-SUFFIX). */
const hashOf = (name: string): string => name.split('-').at(-2)!;

describe('a local mesh follows its Deployments', () => {
  beforeAll(async () => {
    own = await startOwnMesh('samples/hello/manifests');
    file = join(own.configDir, 'probed.yaml');
  }, 150_000);

  afterAll(async () => {
    if (own) await stopOwnMesh(own);
  }, 60_000);

  it('starts the pods of a Deployment added to the folder, ready only once their readiness probe passes', async () => {
    await writeFile(file, probed(1, 'v1'));
    const [pod] = await readyPods(1);
    expect(pod.containers).toBe('Running');
    // Ready means the probe passed, which it does from its third call on.
    const probes = (await readFile(podLog(own!, pod.name, 'probed'), 'utf8')).match(/^probe \d+$/gm) ?? [];
    expect(probes.length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('scales, replaces the pods of a changed template, and removes the pods of a removed Deployment', async () => {
    const [first] = await probedPods();
    await writeFile(file, probed(2, 'v1'));
    const scaled = await readyPods(2);
    expect(scaled.map((p) => p.name)).toContain(first.name);
    expect(new Set(scaled.map((p) => hashOf(p.name)))).toEqual(new Set([hashOf(first.name)]));

    await writeFile(file, probed(2, 'v2'));
    const replaced = await readyPods(
      2,
      scaled.map((p) => p.name),
    );
    expect(new Set(replaced.map((p) => hashOf(p.name))).has(hashOf(first.name))).toBe(false);

    await rm(file);
    await waitFor('no pod of probed', async () => ((await probedPods()).length === 0 ? true : undefined), 60_000, 250);
    const namespaces = (await execFileText('ip', ['netns', 'list'])).stdout;
    for (const pod of [...scaled, ...replaced]) expect(namespaces).not.toContain(`mz-${own!.mesh.id}-${pod.name}`);
  }, 240_000);
});
