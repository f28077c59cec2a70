import { getCompileCacheDir } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { JsonObject } from '@mizzen/filters';
import type { LogLevel } from '../log/logger.ts';
import type { StatEntry } from '../stats/stats-store.ts';
import type { HealthShare, HealthUpdate } from '../upstream/health-check-sharing.ts';

/** Messages between the main thread and a worker. */
export type ToWorker =
  | { kind: 'apply'; id: number; typeUrl: string; resources: JsonObject[]; version: string }
  | { kind: 'stats'; id: number }
  | { kind: 'stop'; id: number; drainMs: number }
  | { kind: 'drain'; id: number }
  // The main thread's health check verdicts; no reply.
  | { kind: 'health'; update: HealthUpdate };

/** A message before the pool numbers it. */
type Unnumbered<T> = T extends { id: number } ? Omit<T, 'id'> : never;

export type FromWorker =
  | { kind: 'started'; error?: string }
  | { kind: 'reply'; id: number; error?: string; stats?: StatEntry[] };

export interface WorkerData {
  readonly bootstrap: unknown;
  readonly logLevel: LogLevel;
  readonly drainTimeMs: number;
  readonly index: number;
  /** The health check states the main thread knew when the worker was made. */
  readonly health: readonly HealthUpdate[];
}

/** The worker's first code. A worker thread does not inherit the compile cache: when the main
 *  thread has it on (the mizzen-proxy command turns it on), the worker turns on the same one
 *  (NODE_COMPILE_CACHE, else the temporary folder's) before its first TypeScript module loads,
 *  or it would load the type stripper (some 15 MB) to strip again what the cache holds. */
function workerSource(): string {
  const main = JSON.stringify(new URL('./worker-main.ts', import.meta.url).href);
  const enable = getCompileCacheDir() === undefined ? '' : `require('node:module').enableCompileCache();`;
  return `${enable}import(${main});`;
}

interface Pending {
  resolve: (reply: { error?: string; stats?: StatEntry[] }) => void;
}

/** One worker thread: a full data plane (listeners bound with SO_REUSEPORT, clusters, routes)
 *  that applies the same configuration as the main thread, in the same order. */
class ProxyWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  readonly started: Promise<void>;

  constructor(data: WorkerData) {
    this.worker = new Worker(workerSource(), { eval: true, workerData: data });
    this.started = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (message: FromWorker) => {
        if (message.kind === 'started') {
          if (message.error) reject(new Error(`worker ${data.index}: ${message.error}`));
          else resolve();
          return;
        }
        const p = this.pending.get(message.id);
        this.pending.delete(message.id);
        p?.resolve(message);
      });
      this.worker.once('exit', (code) => {
        reject(new Error(`worker ${data.index} exited with code ${code}`));
        for (const p of this.pending.values()) p.resolve({ error: `worker ${data.index} exited` });
        this.pending.clear();
      });
    });
  }

  request(message: Unnumbered<ToWorker>): Promise<{ error?: string; stats?: StatEntry[] }> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.postMessage({ ...message, id });
    });
  }

  /** A message that wants no reply. */
  notify(message: Extract<ToWorker, { kind: 'health' }>): void {
    this.worker.postMessage(message);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** The extra workers of `--concurrency N` (the main thread is the first one). */
export class WorkerPool {
  private readonly workers: ProxyWorker[];
  private readonly unsubscribe: () => void;

  private constructor(workers: ProxyWorker[], unsubscribe: () => void) {
    this.workers = workers;
    this.unsubscribe = unsubscribe;
  }

  /** Starts `count` workers. They follow the main thread's health checks (`health`): what is
   *  known now goes with their start, every change after it as a message, in order. */
  static async start(count: number, data: Omit<WorkerData, 'index' | 'health'>, health: HealthShare): Promise<WorkerPool> {
    const workers = Array.from({ length: count }, (_, i) => new ProxyWorker({ ...data, index: i + 1, health: health.snapshot() }));
    const unsubscribe = health.subscribe((update) => {
      for (const w of workers) w.notify({ kind: 'health', update });
    });
    try {
      await Promise.all(workers.map((w) => w.started));
    } catch (err) {
      unsubscribe();
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new WorkerPool(workers, unsubscribe);
  }

  /** Applies an xDS response in every worker; throws with the first worker's error. */
  async apply(typeUrl: string, resources: JsonObject[], version: string): Promise<void> {
    const replies = await Promise.all(this.workers.map((w) => w.request({ kind: 'apply', typeUrl, resources, version })));
    const failed = replies.find((r) => r.error);
    if (failed) throw new Error(`a worker rejected the update: ${failed.error}`);
  }

  async stats(): Promise<StatEntry[][]> {
    const replies = await Promise.all(this.workers.map((w) => w.request({ kind: 'stats' })));
    return replies.map((r) => r.stats ?? []);
  }

  async drain(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ kind: 'drain' })));
  }

  async stop(drainMs: number): Promise<void> {
    this.unsubscribe();
    await Promise.all(this.workers.map((w) => w.request({ kind: 'stop', drainMs })));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
