import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/** How the proxy process ended. */
export type ProxyExit =
  | { kind: 'exited'; code: number }
  | { kind: 'signalled'; signal: NodeJS.Signals }
  | { kind: 'failed'; error: string; errno?: string };

/** The exit code the agent passes on: the proxy's own, 128+N for signal N (as a shell does),
 *  127 when the binary does not exist. */
export function exitCodeOf(exit: ProxyExit): number {
  switch (exit.kind) {
    case 'exited':
      return exit.code;
    case 'signalled':
      return 128 + (constants.signals[exit.signal] ?? 0);
    case 'failed':
      return exit.errno === 'ENOENT' ? 127 : 1;
  }
}

export function describeExit(exit: ProxyExit): string {
  switch (exit.kind) {
    case 'exited':
      return `proxy exited with code ${exit.code}`;
    case 'signalled':
      return `proxy was killed by signal ${exit.signal}`;
    case 'failed':
      return `proxy could not be started: ${exit.error}`;
  }
}

/** The proxy as a child process sharing the agent's stdout and stderr. */
export class ProxyProcess {
  readonly exited: Promise<ProxyExit>;
  #child: ChildProcess;
  #running = true;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(binary: string, args: string[]) {
    this.#child = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    this.exited = new Promise((resolve) => {
      this.#child.once('error', (error: NodeJS.ErrnoException) => {
        this.#ended();
        resolve({ kind: 'failed', error: `${binary}: ${error.message}`, errno: error.code });
      });
      this.#child.once('exit', (code, signal) => {
        this.#ended();
        resolve(signal ? { kind: 'signalled', signal } : { kind: 'exited', code: code ?? 0 });
      });
    });
  }

  get running(): boolean {
    return this.#running;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Asks the proxy to stop (SIGTERM, so it can drain), and kills it if it is still running
   *  after drainMs. A second stop kills at once. */
  stop(drainMs: number): void {
    if (!this.#running) return;
    if (this.#killTimer) {
      this.#child.kill('SIGKILL');
      return;
    }
    this.#child.kill('SIGTERM');
    this.#killTimer = setTimeout(() => this.#child.kill('SIGKILL'), drainMs);
  }

  #ended(): void {
    this.#running = false;
    clearTimeout(this.#killTimer);
  }
}
