import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { spawnInNetns } from '@mizzen/net';

export interface StartOptions {
  /** Run inside this network namespace; else in the runner's own. */
  netns?: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stdout and stderr are appended here. */
  logFile: string;
}

/** Starts a process as the leader of a new process group (so that stopping the group also
 *  stops what it started, such as an agent's proxy), its output going to a log file. */
export function startProcess(options: StartOptions): ChildProcess {
  const fd = openSync(options.logFile, 'a');
  try {
    const [command, ...args] = options.argv;
    const spawnOptions = { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] as ['ignore', number, number] };
    return options.netns ? spawnInNetns(options.netns, command, args, spawnOptions) : spawn(command, args, spawnOptions);
  } finally {
    closeSync(fd);
  }
}

/** The kernel's start time of a process (field 22 of /proc/PID/stat), or null if it has exited. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after it are plain. A zombie (state
    // Z) has exited and only waits for its parent to read its status.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

export interface GroupRef {
  pid: number;
  startTime: string | null;
}

/** True while the recorded process itself still runs (not a recycled pid). */
export function isRunning(ref: GroupRef): boolean {
  const now = processStartTime(ref.pid);
  return now !== null && (ref.startTime === null || now === ref.startTime);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Live (not zombie) processes whose process group is one of `groups` (field 5 of stat). */
export function livingMembers(groups: ReadonlySet<number>): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && groups.has(Number(fields[2]))) members.push(Number(entry));
    } catch {
      // It exited while we looked.
    }
  }
  return members;
}

/** Polls until no process of the groups is left, or the deadline passes. Processes that are
 *  not our children have no exit event, hence the polling. */
async function waitForGroups(groups: ReadonlySet<number>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (livingMembers(groups).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Asks each group to stop (SIGTERM), waits up to graceMs for every process in them to exit,
 *  then kills what is left and waits for that too. A leader whose pid now belongs to another
 *  process is left alone. Resolves to false if something outlived even SIGKILL's wait. */
export async function stopGroups(refs: GroupRef[], graceMs: number): Promise<boolean> {
  const groups = new Set(refs.filter((ref) => processStartTime(ref.pid) === null || isRunning(ref)).map((ref) => ref.pid));
  for (const pid of groups) signalGroup(pid, 'SIGTERM');
  if (await waitForGroups(groups, graceMs)) return true;
  for (const pid of groups) signalGroup(pid, 'SIGKILL');
  return waitForGroups(groups, 5_000);
}
