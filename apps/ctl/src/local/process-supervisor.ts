import type { ChildProcess } from 'node:child_process';
import type { ProcessRecord } from './mesh-state.ts';
import { processStartTime } from './process-group.ts';

// A pod's containers restart when they exit, as the kubelet restarts them (restartPolicy
// Always), after a delay that doubles on each quick failure, so that a container that cannot
// start does not spin, and one that ran a while comes back at once.

export const firstRestartDelayMs = 1_000;
export const maxRestartDelayMs = 30_000;
/** A run this long counts as healthy: the next failure starts the delays over. */
export const healthyRunMs = 10_000;

/** The delay before the next start, given the last delay (undefined before the first
 *  restart) and how long the process ran. */
export function restartDelay(lastDelayMs: number | undefined, ranMs: number): number {
  if (lastDelayMs === undefined || ranMs >= healthyRunMs) return firstRestartDelayMs;
  return Math.min(lastDelayMs * 2, maxRestartDelayMs);
}

export interface SupervisorOptions {
  /** Persists the records after a change (pid, restarts, last exit). */
  save: () => void;
  /** Told of every exit; `restartInMs` is undefined when it will not restart. */
  onExit: (record: ProcessRecord, code: number | null, signal: string | null, restartInMs: number | undefined) => void;
}

/** Starts processes and restarts those that should be restarted, until stopped. */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Processes not to start again (their pod is being removed). */
  readonly #retired = new WeakSet<ProcessRecord>();
  #stopped = false;

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  /** Starts the process with `spawn`; with `restart`, again after each exit. The record's pid
   *  and start time follow the current process. Throws if the first start fails. */
  start(record: ProcessRecord, spawn: () => ChildProcess, restart: boolean): void {
    let lastDelay: number | undefined;
    const launch = (): void => {
      const child = spawn();
      if (child.pid === undefined) throw new Error(`cannot start the process of ${record.container ?? record.role}`);
      Object.assign(record, { pid: child.pid, startTime: processStartTime(child.pid), state: 'running' });
      this.#options.save();
      const startedAt = Date.now();
      child.on('exit', (code, signal) => {
        const willRestart = restart && !this.#stopped && !this.#retired.has(record);
        const delay = willRestart ? restartDelay(lastDelay, Date.now() - startedAt) : undefined;
        record.lastExit = { code, signal, at: new Date().toISOString() };
        if (delay !== undefined) {
          lastDelay = delay;
          record.restarts = (record.restarts ?? 0) + 1;
          record.state = 'waiting';
          const timer = setTimeout(() => {
            this.#timers.delete(timer);
            if (this.#stopped || this.#retired.has(record)) return;
            try {
              launch();
            } catch (error) {
              record.state = `cannot start: ${(error as Error).message}`;
              this.#options.save();
            }
          }, delay);
          this.#timers.add(timer);
        } else {
          record.state = 'exited';
        }
        if (!this.#stopped) this.#options.save();
        this.#options.onExit(record, code, signal, delay);
      });
    };
    launch();
  }

  /** No more restarts of this process (it is being stopped for good). */
  retire(record: ProcessRecord): void {
    this.#retired.add(record);
  }

  /** No more restarts (the processes themselves are stopped by their groups). */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
