import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { runScript } from '@mizzen/testing';
import { MeshProcess, mizzenctl, openTempDir, repoRoot, type ReadyMesh } from './mesh-process.ts';

// What the mesh tests that change a running mesh share: a mesh of their own (a copy of a
// sample's manifests, so that files can be added to it), the runner's record of its processes,
// and waiting for a condition to hold.

export interface ProcessEntry {
  role: 'istiod' | 'agent' | 'app';
  pod?: string;
  container?: string;
  pid: number;
  log: string;
}

export interface OwnMesh {
  /** The folder the mesh runs from (a copy of the sample's manifests). */
  configDir: string;
  stateDir: string;
  runner: MeshProcess;
  mesh: ReadyMesh;
}

/** Copies `manifests` (plus extra files, name to YAML) to a folder of its own and runs it. */
export async function startOwnMesh(manifests: string, extra: Record<string, string> = {}): Promise<OwnMesh> {
  const configDir = await openTempDir('mizzen-e2e-config-');
  await cp(join(repoRoot, manifests), configDir, { recursive: true });
  // A container's relative paths resolve from the repository holding the manifests; the copy
  // is outside it, so its commands name the samples' files in full.
  for (const file of await readdir(configDir)) {
    const path = join(configDir, file);
    await writeFile(path, absoluteSamplePaths(await readFile(path, 'utf8')));
  }
  for (const [name, yaml] of Object.entries(extra)) await writeFile(join(configDir, name), absoluteSamplePaths(yaml));
  const stateDir = await openTempDir('mizzen-e2e-');
  const runner = new MeshProcess(configDir, stateDir);
  const mesh = await runner.ready();
  return { configDir, stateDir, runner, mesh };
}

function absoluteSamplePaths(yaml: string): string {
  return yaml.replace(/(?<=[\s[,])samples\//g, `${repoRoot}samples/`);
}

/** Stops the runner, then `local down` for whatever a failed run left, and removes the folders. */
export async function stopOwnMesh(own: Partial<OwnMesh>): Promise<void> {
  await own.runner?.stop();
  if (own.stateDir) {
    const down = await runScript(mizzenctl, ['local', 'down', '--state-dir', own.stateDir], { timeoutMs: 30_000 });
    if (down.code !== 0) throw new Error(`local down failed: ${down.stderr}`);
    await rm(own.stateDir, { recursive: true, force: true });
  }
  if (own.configDir) await rm(own.configDir, { recursive: true, force: true });
}

/** The processes the runner records for the mesh. */
export async function meshProcesses(own: OwnMesh): Promise<ProcessEntry[]> {
  const record = JSON.parse(await readFile(join(own.stateDir, own.mesh.id, 'mesh.json'), 'utf8')) as { processes: ProcessEntry[] };
  return record.processes;
}

/** The pod's log file of a container (the sidecar's is `POD.istio-proxy.log`). */
export function podLog(own: OwnMesh, pod: string, container: string): string {
  return join(own.stateDir, own.mesh.id, 'logs', `${pod}.${container}.log`);
}

/** The pids of the live children of a process. */
export async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (stat !== '' && fields[0] !== 'Z' && Number(fields[1]) === pid) children.push(Number(entry));
  }
  return children;
}

export async function commandLine(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((arg) => arg !== '');
}

/** Polls `check` until it returns a value other than undefined; throws with the last reason
 *  after `timeoutMs`. Resolves to the value and how long it took. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return { value, ms: Math.round(performance.now() - start) };
    } catch (error) {
      last = error;
    }
    if (performance.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last: ${(last as Error).message})` : ''}`);
    await delay(everyMs);
  }
}

/** One GET with a deadline: the status and the body as text (or the error's message). */
export async function get(url: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: (error as Error).message };
  }
}
