import { Worker } from 'node:worker_threads';
import type { JsonObject } from '@mizzen/filters';
import type { LogLevel } from '../log/logger.ts';
import type { StatEntry } from '../stats/stats-store.ts';

/** Messages between the main thread and a worker. */
export type ToWorker =
  | { kind: 'apply'; id: number; typeUrl: string; resources: JsonObject[]; version: string }
  | { kind: 'stats'; id: number }
  | { kind: 'stop'; id: number; drainMs: number }
  | { kind: 'drain'; id: number };

/** A message before the pool numbers it. */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

export type FromWorker =
  | { kind: 'started'; error?: string }
  | { kind: 'reply'; id: number; error?: string; stats?: StatEntry[] };

export interface WorkerData {
  readonly bootstrap: unknown;
  readonly logLevel: LogLevel;
  readonly drainTimeMs: number;
  readonly index: number;
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
    this.worker = new Worker(new URL('./worker-main.ts', import.meta.url), { workerData: data });
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

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/** The extra workers of `--concurrency N` (the main thread is the first one). */
export class WorkerPool {
  private readonly workers: ProxyWorker[];

  private constructor(workers: ProxyWorker[]) {
    this.workers = workers;
  }

  static async start(count: number, data: Omit<WorkerData, 'index'>): Promise<WorkerPool> {
    const workers = Array.from({ length: count }, (_, i) => new ProxyWorker({ ...data, index: i + 1 }));
    try {
      await Promise.all(workers.map((w) => w.started));
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new WorkerPool(workers);
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
    await Promise.all(this.workers.map((w) => w.request({ kind: 'stop', drainMs })));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
