import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childrenOf, commandLine, get, meshProcesses, startOwnMesh, stopOwnMesh, waitFor, type OwnMesh, type ProcessEntry } from './mesh-control.ts';

// The hello mesh survives its parts failing: a proxy killed inside a pod comes back (its
// pilot-agent restarts it), and with istiod gone the sidecars serve on with the last config
// they had; the runner starts istiod again, and the sidecars reconnect and take the config
// written meanwhile.

// A VirtualService whose effect the host sees through the frontend: every call to the backend
// fails in the frontend's sidecar, and the frontend answers 502 with the sidecar's text.
const abortBackend = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: hello-backend
spec:
  hosts: [hello-backend]
  http:
    - fault:
        abort:
          httpStatus: 418
          percentage: { value: 100 }
      route:
        - destination: { host: hello-backend }
`;

let own: OwnMesh | undefined;
let frontendUrl: string;

async function healthy(): Promise<true | undefined> {
  const { status } = await get(frontendUrl);
  return status === 200 ? true : undefined;
}

describe('a mesh recovers from a killed proxy and a lost istiod', () => {
  beforeAll(async () => {
    own = await startOwnMesh('samples/hello/manifests');
    frontendUrl = own.mesh.urls.get('hello-frontend.default')!;
    const first = await get(frontendUrl);
    if (first.status !== 200) console.log(`first request after ready: ${first.status} ${first.body}`);
    await waitFor('the mesh answers', healthy, 30_000);
  }, 150_000);

  afterAll(async () => {
    if (own) await stopOwnMesh(own);
  }, 60_000);

  it('restarts a proxy killed inside a pod, and traffic recovers', async () => {
    const frontend = [...own!.mesh.pods.keys()].find((n) => n.startsWith('hello-frontend-'))!;
    const agent = (await meshProcesses(own!)).find((p) => p.role === 'agent' && p.pod === frontend)!;
    const [proxy] = await childrenOf(agent.pid);
    expect(proxy, 'the agent runs its proxy as a child').toBeGreaterThan(0);
    expect((await commandLine(proxy)).join(' ')).toMatch(/proxy/);

    process.kill(proxy, 'SIGKILL');
    const restarted = await waitFor('a new proxy under the agent', async () => (await childrenOf(agent.pid)).find((pid) => pid !== proxy), 15_000);
    const recovered = await waitFor('traffic through the restarted proxy', healthy, 30_000);
    console.log(`proxy killed: restarted by its agent after ${restarted.ms} ms, traffic back after ${restarted.ms + recovered.ms} ms`);
    // The agent itself lived on.
    expect((await childrenOf(agent.pid)).length).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect((await get(frontendUrl)).status).toBe(200);
  }, 60_000);

  it('serves on the last config without istiod, and takes new config once the runner has started istiod again', async () => {
    const istiod = (await meshProcesses(own!)).find((p) => p.role === 'istiod')!;
    process.kill(istiod.pid, 'SIGKILL');
    await waitFor('istiod gone', async () => ((await commandLine(istiod.pid).catch(() => [])).length === 0 ? true : undefined), 10_000);

    // No control plane (the runner waits a moment before it starts istiod again): every
    // request still crosses both sidecars.
    for (let i = 0; i < 10; i++) expect((await get(frontendUrl)).status).toBe(200);

    // Config written meanwhile, which the new istiod reads.
    await writeFile(join(own!.configDir, 'hello-backend-abort.yaml'), abortBackend);
    const mirrored = join(own!.stateDir, own!.mesh.id, 'config', 'hello-backend-abort.yaml');
    await waitFor('the runner mirrors the new file', async () => stat(mirrored).then(() => true), 10_000);

    // istiod back, started by the runner as the kubelet restarts a container.
    const supervised = async (): Promise<(ProcessEntry & { state?: string; restarts?: number })[]> => meshProcesses(own!);
    const restarted = await waitFor('the runner starts istiod again', async () => (await supervised()).find((p) => p.role === 'istiod' && p.pid !== istiod.pid && p.state === 'running'), 30_000);
    expect(restarted.value.restarts).toBe(1);
    const back = performance.now();
    const applied = await waitFor(
      'the VirtualService written while istiod was away takes effect',
      async () => {
        const { status, body } = await get(frontendUrl);
        return status === 502 && body.includes('fault filter abort') ? body : undefined;
      },
      60_000,
    );
    console.log(`istiod restarted: sidecars reconnected and applied the new VirtualService ${Math.round(performance.now() - back)} ms after istiod started`);
    expect(JSON.parse(applied.value)).toMatchObject({ service: 'hello-frontend', backend: 'fault filter abort' });
  }, 120_000);
});
