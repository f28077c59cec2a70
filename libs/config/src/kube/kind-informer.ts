import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { ConfigError } from '../config-error.ts';
import { clusterScopedKinds } from '../kubernetes-types.ts';
import type { MemoryConfigStore } from '../config-store.ts';
import { validateObject } from '../validate.ts';
import { KubeApiError, listObjects } from './list-objects.ts';
import { collectionPath, describeKind, type WatchedKind } from './watched-kinds.ts';

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface KindInformerOptions {
  config: KubeConfig;
  kind: WatchedKind;
  store: MemoryConfigStore;
  report: (error: ConfigError) => void;
  backoff: Backoff;
  /** How often to list the kind again to correct any drift; 0 never. */
  resyncMs: number;
}

type RawObject = KubernetesObject & Record<string, unknown>;

/** A list that has not answered by then is abandoned and retried. */
const listTimeoutMs = 60_000;

/** Follows one kind through the client's ListWatch: list, then watch from the list's
 *  resourceVersion; a watch the server ends resumes from there, and a 410 Gone relists. This
 *  class adds what ListWatch leaves to its user: validation into the shared store, starting
 *  over with backoff after errors (ListWatch stops on them), a periodic relist, and closing
 *  every connection. */
export class KindInformer {
  readonly kind: WatchedKind;
  /** Settles once the first list has succeeded or failed, whichever comes first. */
  readonly firstAttempt: Promise<void>;
  #options: KindInformerOptions;
  #path: string;
  #current: { listWatch: ListWatch<RawObject>; watch: ClosableWatch; lists: AbortController } | undefined;
  #closed = false;
  #retryDelayMs: number;
  #timers = new Set<NodeJS.Timeout>();
  #resyncTimer: NodeJS.Timeout | undefined;
  /** The objects that failed validation, by store key, with their errors. */
  #invalid = new Map<string, ConfigError>();
  /** The reason of the failure last reported, so that a lasting outage is reported once. */
  #problem: ConfigError | undefined;
  #attempted!: () => void;

  constructor(options: KindInformerOptions) {
    this.#options = options;
    this.kind = options.kind;
    this.#path = collectionPath(options.kind);
    this.#retryDelayMs = options.backoff.initialMs;
    this.firstAttempt = new Promise((resolve) => (this.#attempted = resolve));
  }

  start(): void {
    if (this.#closed || this.#current) return;
    const watch = new ClosableWatch(this.#options.config);
    const lists = new AbortController();
    const listWatch = new ListWatch<RawObject>(this.#path, watch, () => this.#list(lists.signal), false, undefined, undefined, {
      delayFn: (ms) => this.#sleep(Math.min(ms, this.#options.backoff.maxMs)),
    });
    const current = { listWatch, watch, lists };
    this.#current = current;
    const isCurrent = () => this.#current === current;
    listWatch.on('add', (object) => isCurrent() && this.#apply(object));
    listWatch.on('update', (object) => isCurrent() && this.#apply(object));
    listWatch.on('delete', (object) => isCurrent() && this.#remove(object));
    listWatch.on('error', (error) => isCurrent() && this.#failed(error));
    listWatch.start().catch((error: Error) => isCurrent() && this.#failed(error));
  }

  close(): void {
    this.#closed = true;
    this.#stopCurrent();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    clearTimeout(this.#resyncTimer);
  }

  /** The objects skipped as invalid, and the failure being retried, if any. */
  errors(): ConfigError[] {
    return [...this.#invalid.values(), ...(this.#problem ? [this.#problem] : [])];
  }

  #stopCurrent(): void {
    const current = this.#current;
    this.#current = undefined;
    if (!current) return;
    current.lists.abort();
    current.watch.close();
    void current.listWatch.stop();
  }

  async #list(signal: AbortSignal): Promise<KubernetesListObject<RawObject>> {
    const list = await listObjects(this.#options.config, this.#path, AbortSignal.any([signal, AbortSignal.timeout(listTimeoutMs)]));
    // A list that answers just as its ListWatch is replaced must not touch the store.
    if (signal.aborted) throw new Error('replaced while listing');
    const items = list.items.map((item) => this.#complete(item));
    // The store is brought to the list here rather than by ListWatch's callbacks, which only
    // know of objects that one ListWatch listed itself (not those of a replaced one) and run
    // after this returns. Their later adds and updates of the same objects change nothing.
    const listed = new Set(items.map((item) => this.#key(item)));
    for (const key of this.#options.store.keysOf(this.kind.kind)) {
      if (!listed.has(key)) this.#guard(() => this.#options.store.delete(key));
    }
    for (const key of this.#invalid.keys()) if (!listed.has(key)) this.#invalid.delete(key);
    items.forEach((item) => this.#apply(item));
    this.#succeeded();
    return { apiVersion: this.kind.apiVersion, kind: `${this.kind.kind}List`, metadata: { resourceVersion: list.metadata?.resourceVersion }, items };
  }

  #succeeded(): void {
    this.#problem = undefined;
    this.#retryDelayMs = this.#options.backoff.initialMs;
    this.#attempted();
    if (this.#options.resyncMs > 0) {
      clearTimeout(this.#resyncTimer);
      this.#resyncTimer = setTimeout(() => this.#restart(), this.#options.resyncMs);
    }
  }

  /** Starts over with a fresh ListWatch, which lists everything again; the store emits only
   *  what really changed. */
  #restart(): void {
    if (this.#closed) return;
    this.#stopCurrent();
    this.start();
  }

  #failed(error: unknown): void {
    if (this.#closed) return;
    const reason =
      error instanceof KubeApiError && error.statusCode === 404 && this.kind.custom
        ? `not installed on the cluster (${error.message}); retrying until it is`
        : `list or watch failed: ${errorMessage(error)}; retrying with backoff`;
    if (this.#problem?.reason !== reason) {
      this.#problem = new ConfigError({ resource: describeKind(this.kind), reason });
      this.#options.report(this.#problem);
    }
    this.#attempted();
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(delay * 2, this.#options.backoff.maxMs);
    // ListWatch stops itself after an error. A fresh one lists again, which also tells when
    // the kind is back: the next successful list clears the problem.
    const failed = this.#current;
    void this.#sleep(delay).then(() => {
      if (this.#current === failed) this.#restart();
    });
  }

  #apply(raw: RawObject): void {
    const key = this.#key(raw);
    let object;
    try {
      object = validateObject(withoutManagedFields(this.#complete(raw)));
    } catch (error) {
      const configError = error instanceof ConfigError ? error : new ConfigError({ resource: key, reason: errorMessage(error) });
      if (this.#invalid.get(key)?.message !== configError.message) this.#options.report(configError);
      this.#invalid.set(key, configError);
      this.#guard(() => this.#options.store.delete(key));
      return;
    }
    this.#invalid.delete(key);
    this.#guard(() => this.#options.store.set(object));
  }

  #remove(raw: RawObject): void {
    const key = this.#key(raw);
    this.#invalid.delete(key);
    this.#guard(() => this.#options.store.delete(key));
  }

  /** A subscriber that throws must not stop the watch: its error is reported instead. */
  #guard(change: () => void): void {
    try {
      change();
    } catch (error) {
      this.#options.report(new ConfigError({ resource: describeKind(this.kind), reason: `a config subscriber failed: ${errorMessage(error)}` }));
    }
  }

  /** Listed items come without apiVersion and kind; the list's kind is theirs. */
  #complete(raw: Record<string, unknown>): RawObject {
    const { apiVersion: _apiVersion, kind: _kind, ...fields } = raw;
    return { apiVersion: this.kind.apiVersion, kind: this.kind.kind, ...fields } as RawObject;
  }

  /** The store key, as objectKey() makes it from the validated object (which puts a
   *  namespaced object without a namespace in "default"). */
  #key(raw: KubernetesObject): string {
    const namespace = raw.metadata?.namespace ?? (clusterScopedKinds.has(this.kind.kind) ? '' : 'default');
    return `${this.kind.kind}/${namespace}/${raw.metadata?.name ?? ''}`;
  }

  /** A delay that never ends once the informer is closed, so nothing resumes after close. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }
}

/** A Watch whose connections can all be cut at once, including one still connecting. */
class ClosableWatch extends Watch {
  #controllers = new Set<AbortController>();
  #closed = false;

  override async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, object: unknown, event?: unknown) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    if (this.#closed) return new AbortController();
    // done may run before super.watch returns (a refused connection), or long after.
    const state: { controller?: AbortController; finished: boolean } = { finished: false };
    const controller = await super.watch(path, query, callback, (error) => {
      state.finished = true;
      if (state.controller) this.#controllers.delete(state.controller);
      done(error);
    });
    if (this.#closed) controller.abort();
    else if (!state.finished) {
      state.controller = controller;
      this.#controllers.add(controller);
    }
    return controller;
  }

  close(): void {
    this.#closed = true;
    for (const controller of this.#controllers) controller.abort();
    this.#controllers.clear();
  }
}

function withoutManagedFields(raw: RawObject): RawObject {
  const metadata = raw.metadata as Record<string, unknown> | undefined;
  if (!metadata || !('managedFields' in metadata)) return raw;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...raw, metadata: rest };
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    return typeof status === 'number' && !(error instanceof KubeApiError) ? `${status} ${error.message}` : error.message;
  }
  return String(error);
}
