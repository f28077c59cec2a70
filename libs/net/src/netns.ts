import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { assertRoot, ip, run, NetError, type CommandOutput } from './ip-command.ts';

/** Network namespace names become files under /run/netns. */
export function assertNetnsName(name: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..' || name.length > 200) {
    throw new NetError(`network namespace name "${name}": must be letters, digits, '_', '.' or '-'`);
  }
}

export async function createNetns(name: string): Promise<void> {
  assertNetnsName(name);
  await ip(['netns', 'add', name]);
}

/** Deletes a named namespace; one that is already gone is not an error. The kernel frees it
 *  once no process is left inside, and with it the pod end of its veth pair. */
export async function deleteNetns(name: string): Promise<void> {
  assertNetnsName(name);
  if (!(await listNetns()).includes(name)) return;
  await ip(['netns', 'delete', name]);
}

export async function listNetns(): Promise<string[]> {
  const out = await ip(['-j', 'netns', 'list']);
  if (!out.trim()) return [];
  return (JSON.parse(out) as { name: string }[]).map((ns) => ns.name);
}

/** Starts a process inside a namespace. `ip netns exec` execs the command, so the child's pid
 *  is the command's own pid and signals reach it directly. */
export function spawnInNetns(netns: string, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  assertRoot();
  assertNetnsName(netns);
  return spawn('ip', ['netns', 'exec', netns, command, ...args], options);
}

/** Runs a command inside a namespace and collects its output. */
export function execInNetns(netns: string, command: string, args: string[]): Promise<CommandOutput> {
  assertRoot();
  assertNetnsName(netns);
  return run('ip', ['netns', 'exec', netns, command, ...args]);
}
