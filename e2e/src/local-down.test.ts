import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkExists, listNetns } from '@mizzen/net';
import { runScript } from '@mizzen/testing';
import { MeshProcess, leftovers, openTempDir, mizzenctl, processesMentioning, repoRoot, stateEntries, stillRunning, type ReadyMesh } from './mesh-process.ts';

// A runner killed outright (SIGKILL) cannot clean up: its pods, sidecars and istiod keep
// running. `local down` finds them all in the state folder and removes them. This mesh also
// runs beside the one of hello-mesh.test.ts, on a subnet of its own.

interface Recorded {
  processes: { pid: number; startTime: string | null; role: string }[];
}

let stateDir: string;
let runner: MeshProcess;
let mesh: ReadyMesh;

describe('local down after a killed runner', () => {
  beforeAll(async () => {
    stateDir = await openTempDir('mizzen-e2e-down-');
    runner = new MeshProcess(join(repoRoot, 'samples/hello/manifests'), stateDir);
    mesh = await runner.ready();
  }, 120_000);

  afterAll(async () => {
    await runScript(mizzenctl, ['local', 'down', '--state-dir', stateDir], { timeoutMs: 30_000 });
    await rm(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('removes every process, namespace, link and file the runner left', async () => {
    const meshDir = join(stateDir, mesh.id);
    const recorded = JSON.parse(await readFile(join(meshDir, 'mesh.json'), 'utf8')) as Recorded;
    expect(recorded.processes.map((p) => p.role).sort()).toEqual(['agent', 'agent', 'agent', 'app', 'app', 'app', 'istiod']);

    // One mesh per state folder: a second `local up` says so and exits 2, making nothing.
    const second = await runScript(mizzenctl, ['local', 'up', join(repoRoot, 'samples/hello/manifests'), '--state-dir', stateDir], { timeoutMs: 30_000 });
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toContain(`error: mesh ${mesh.id} already runs from ${stateDir}`);
    expect(await stateEntries(stateDir)).toEqual([mesh.id]);

    runner.child.kill('SIGKILL');
    await runner.stop();
    // The mesh outlives its runner.
    expect((await processesMentioning(meshDir)).length).toBeGreaterThan(0);
    const status = await runScript(mizzenctl, ['local', 'status', '--state-dir', stateDir]);
    expect(status.stdout).toContain(`mesh ${mesh.id}`);
    expect(status.stdout).toContain('runner gone');
    // Readiness is probed with a short timeout, so on a loaded machine it may read false.
    for (const [pod, ip] of mesh.pods) expect(status.stdout).toMatch(new RegExp(`${pod}\\s+default\\s+${ip.replaceAll('.', '\\.')}\\s+(true|false)`));

    const down = await runScript(mizzenctl, ['local', 'down', mesh.id, '--state-dir', stateDir], { timeoutMs: 30_000 });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`mesh ${mesh.id}: stopped and removed`);
    expect(down.stdout + down.stderr).not.toContain('clean-up:');
    for (const p of recorded.processes) expect(await stillRunning(p.pid, p.startTime)).toBe(false);
    // Proxies are the agents' children, not recorded: they went with their process group.
    expect(await processesMentioning(meshDir)).toEqual([]);
    expect((await listNetns()).filter((ns) => ns.startsWith(`mz-${mesh.id}-`))).toEqual([]);
    expect(await linkExists(`mzbr${mesh.id}`)).toBe(false);
    expect(await leftovers(mesh)).toEqual([]);
    expect(await stateEntries(stateDir)).toEqual([]);
  }, 60_000);
});
