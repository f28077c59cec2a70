import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
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

/** Asks each group to stop (SIGTERM), waits up to graceMs for the leaders to exit, then kills
 *  whatever is left of every group. A leader whose pid now belongs to another process is left
 *  alone. Processes that are not our children have no exit event, hence the polling. */
export async function stopGroups(refs: GroupRef[], graceMs: number): Promise<void> {
  const ours = refs.filter((ref) => processStartTime(ref.pid) === null || isRunning(ref));
  for (const ref of ours) signalGroup(ref.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (ours.some(isRunning) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const ref of ours) signalGroup(ref.pid, 'SIGKILL');
}
