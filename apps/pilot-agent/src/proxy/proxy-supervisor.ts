import { describeExit, type ProxyExit, type ProxyProcess } from './proxy-process.ts';

/** How the agent restarts a proxy that exits when nobody asked it to. */
export interface RestartPolicy {
  /** The first wait before a restart; each further one doubles it. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Consecutive restarts allowed before the agent gives up. */
  maxRestarts: number;
  /** A proxy that ran this long was healthy: the count starts again. */
  healthyRunMs: number;
}

export const defaultRestartPolicy: RestartPolicy = { initialDelayMs: 200, maxDelayMs: 30_000, maxRestarts: 10, healthyRunMs: 60_000 };

/** The wait before restart number `attempt` (1 for the first): exponential, capped. */
export function restartDelay(policy: RestartPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}

/** Why supervision ended: a stop the agent asked for, or a proxy that cannot run. */
export interface SupervisionEnd {
  exit: ProxyExit;
  gaveUp: boolean;
  restarts: number;
}

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

/**
 * Keeps one proxy process running: when it exits unexpectedly it is started again after a
 * backoff, until it has failed `maxRestarts` times in a row. A binary that cannot be started
 * at all is not retried.
 */
export class ProxySupervisor {
  readonly ended: Promise<SupervisionEnd>;
  #current: ProxyProcess;
  #restarts = 0;
  #stopping = false;
  readonly #wake = Promise.withResolvers<void>();
  readonly #start: () => ProxyProcess;
  readonly #policy: RestartPolicy;
  readonly #log: Log;
  readonly #now: () => number;

  constructor(start: () => ProxyProcess, policy: RestartPolicy, log: Log, now: () => number = Date.now) {
    this.#start = start;
    this.#policy = policy;
    this.#log = log;
    this.#now = now;
    this.#current = start();
    this.ended = this.#supervise();
  }

  /** The proxy running now (or the last one, between restarts). */
  get current(): ProxyProcess {
    return this.#current;
  }

  /** How many times the proxy was restarted in all. */
  get restarts(): number {
    return this.#restarts;
  }

  /** From now on an exit is expected: nothing is restarted. */
  holdRestarts(): void {
    this.#stopping = true;
    this.#wake.resolve();
  }

  /** Stops the proxy (SIGTERM, SIGKILL after graceMs; a second call kills at once). */
  stop(graceMs: number): void {
    this.holdRestarts();
    this.#current.stop(graceMs);
  }

  async #supervise(): Promise<SupervisionEnd> {
    let failures = 0;
    for (;;) {
      const startedAt = this.#now();
      const exit = await this.#current.exited;
      if (this.#stopping) return { exit, gaveUp: false, restarts: this.#restarts };
      if (exit.kind === 'failed') {
        this.#log('error', `${describeExit(exit)}; not restarting a proxy that cannot be started`);
        return { exit, gaveUp: true, restarts: this.#restarts };
      }
      failures = this.#now() - startedAt >= this.#policy.healthyRunMs ? 1 : failures + 1;
      if (failures > this.#policy.maxRestarts) {
        this.#log('error', `${describeExit(exit)}; giving up after ${this.#policy.maxRestarts} restarts in a row`);
        return { exit, gaveUp: true, restarts: this.#restarts };
      }
      const delay = restartDelay(this.#policy, failures);
      this.#log('warn', `${describeExit(exit)} unexpectedly; restarting it in ${delay} ms (restart ${failures} of at most ${this.#policy.maxRestarts} in a row)`);
      await this.#sleep(delay);
      if (this.#stopping) return { exit, gaveUp: false, restarts: this.#restarts };
      this.#restarts += 1;
      this.#current = this.#start();
    }
  }

  #sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.#wake.promise]).finally(() => clearTimeout(timer));
  }
}
