import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const mizzenctl = fileURLToPath(new URL('../../apps/ctl/src/main.ts', import.meta.url));

export interface ReadyMesh {
  id: string;
  /** Pod name to IP, from the table `local up` prints. */
  pods: Map<string, string>;
  /** Service (NAME.NAMESPACE) to the URL the host can call. */
  urls: Map<string, string>;
  /** The pods' /24 and the services' /24, from the runner's first line. */
  podRange: string;
  serviceRange: string;
}

/** A fresh temporary folder that every user may enter (mkdtemp makes it root's alone): the
 *  sidecars run as uid 1337 and the apps as their own user, and reach their files in it. */
export async function openTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

/** The node binary as a pod's users reach it: through the mesh's read-only view of the
 *  repository when the repository's own folder is out of their reach. */
export async function podNode(stateDir: string, meshId: string): Promise<string> {
  const record = JSON.parse(await readFile(join(stateDir, meshId, 'mesh.json'), 'utf8')) as { repositoryView?: string };
  return record.repositoryView ? join(record.repositoryView, relative(repoRoot, process.execPath)) : process.execPath;
}

/** `mizzenctl local up` as a real process, as a user runs it. */
export class MeshProcess {
  readonly child: ChildProcess;
  private stderr = '';

  constructor(dir: string, stateDir: string) {
    this.child = spawn(process.execPath, [mizzenctl, 'local', 'up', dir, '--state-dir', stateDir, '--timeout', '90'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
  }

  /** Resolves on the ready line; rejects with the runner's output if it exits first. */
  ready(): Promise<ReadyMesh> {
    const pods = new Map<string, string>();
    const urls = new Map<string, string>();
    const lines = createInterface({ input: this.child.stdout! });
    return new Promise((resolve, reject) => {
      lines.on('line', (line) => {
        const row = /^(\S+)\s+(\S+)\s+(\d+\.\d+\.\d+\.\d+)\s+true$/.exec(line);
        if (row) pods.set(row[1], row[3]);
        const curl = /^curl (\S+)\s+# (\S+):\d+ via/.exec(line);
        if (curl) urls.set(curl[2], curl[1]);
        const ready = /^Mesh (\w+) ready\./.exec(line);
        const ranges = /pods on (\S+) .*services on (\S+),/.exec(this.stderr);
        if (ready) resolve({ id: ready[1], pods, urls, podRange: ranges?.[1] ?? '?', serviceRange: ranges?.[2] ?? '?' });
      });
      this.child.once('exit', (code, signal) => reject(new Error(`mizzenctl local up exited (${signal ?? code}) before the mesh was ready:\n${this.stderr}`)));
    });
  }

  /** Stops the runner as Ctrl-C would and resolves to its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const [code] = (await once(this.child, 'exit')) as [number | null];
    return code;
  }

  get output(): string {
    return this.stderr;
  }
}

/** Envoy's `/stats` text (`name: value` lines) as a map of the numeric ones. */
export function parseStats(text: string): Map<string, number> {
  const stats = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\S+): (\d+)$/.exec(line.trim());
    if (match) stats.set(match[1], Number(match[2]));
  }
  return stats;
}

/** The sum of the stats whose names match. */
export function sumStats(stats: Map<string, number>, pattern: RegExp): number {
  let sum = 0;
  for (const [name, value] of stats) if (pattern.test(name)) sum += value;
  return sum;
}

/** What a state folder holds besides the compile cache, which `local down` keeps on purpose:
 *  it belongs to no mesh and makes the next `local up` start warm. */
export async function stateEntries(stateDir: string): Promise<string[]> {
  return (await readdir(stateDir)).filter((name) => name !== '.compile-cache');
}

/** Processes whose command line mentions `text` (such as a mesh's state folder). */
export async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const state = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const zombie = state.slice(state.lastIndexOf(')') + 2).startsWith('Z');
    if (!zombie && cmdline.includes(text)) found.push(`${entry}: ${cmdline.replaceAll('\0', ' ').trim()}`);
  }
  return found;
}

/** True while the process runs with the start time it was recorded with. */
export async function stillRunning(pid: number, startTime: string | null): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return stat !== '' && fields[0] !== 'Z' && (startTime === null || fields[19] === startTime);
}

/** What a mesh could leave on the host once it is gone: its namespaces, links, the route of its
 *  service range, the pods' files under /etc/netns, and any iptables rule or chain of the
 *  capture (those live in the pods' namespaces, never in the host's tables). Empty when clean. */
export async function leftovers(mesh: Pick<ReadyMesh, 'id' | 'podRange' | 'serviceRange'>): Promise<string[]> {
  const found: string[] = [];
  const namespaces = (await run('ip', ['netns', 'list'])).split('\n').filter((line) => line.startsWith(`mz-${mesh.id}-`));
  found.push(...namespaces.map((ns) => `netns ${ns}`));
  if ((await run('ip', ['link', 'show'])).includes(`mzbr${mesh.id}`)) found.push(`link mzbr${mesh.id}`);
  const routes = await run('ip', ['route', 'show', 'table', 'all']);
  for (const range of [mesh.podRange, mesh.serviceRange]) if (routes.includes(range)) found.push(`route ${range}`);
  const etc = await readdir('/etc/netns').catch(() => [] as string[]);
  found.push(...etc.filter((name) => name.startsWith(`mz-${mesh.id}-`)).map((name) => `/etc/netns/${name}`));
  for (const save of ['iptables-save', 'ip6tables-save']) {
    const rules = await run(save, []);
    const ours = rules.split('\n').filter((line) => /ISTIO_/.test(line) || line.includes(mesh.podRange.replace(/\.0\/24$/, '.')) || line.includes(mesh.serviceRange.replace(/\.0\/24$/, '.')));
    found.push(...ours.map((line) => `${save}: ${line}`));
  }
  return found;
}

async function run(command: string, args: string[]): Promise<string> {
  return (await execFileText(command, args)).stdout;
}

/** Runs a command on the host and collects its exit code and output. */
export function execFileText(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject).on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
