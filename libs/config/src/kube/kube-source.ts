import type { ConfigError } from '../config-error.ts';
import { MemoryConfigStore } from '../config-store.ts';
import { KindInformer, type Backoff } from './kind-informer.ts';
import { loadKubeConfig, type KubeConfigOptions } from './kube-config.ts';
import { watchedKinds, type WatchedKind } from './watched-kinds.ts';

export interface KubeSourceOptions extends KubeConfigOptions {
  /** Called with each invalid object and each failing kind; defaults to printing them. */
  onError?: (error: ConfigError) => void;
  /** The store to fill, for a caller that subscribes before the first list; a new one by default. */
  store?: MemoryConfigStore;
  /** The kinds to follow; istiod's by default. */
  kinds?: readonly WatchedKind[];
  /** How often each kind is listed again to correct drift (default 10 minutes; 0 never). */
  resyncMs?: number;
  /** Delays between retries after an error, doubling from initialMs up to maxMs. */
  backoff?: Partial<Backoff>;
}

/** Serves the objects of a Kubernetes cluster, followed through its API: one informer per
 *  kind (list, then watch from the list's resourceVersion), all feeding one store. An invalid
 *  object is reported and left out; a kind that fails (a CRD not installed, an API server
 *  away) is reported once and retried with backoff while the others keep serving. */
export class KubeSource {
  readonly store: MemoryConfigStore;
  readonly #informers: KindInformer[];

  private constructor(store: MemoryConfigStore, informers: (store: MemoryConfigStore) => KindInformer[]) {
    this.store = store;
    this.#informers = informers(store);
  }

  /** Connects and waits until every kind has been listed once or has failed (and is being
   *  retried). Fails only if the connection config cannot be loaded. */
  static async open(options: KubeSourceOptions = {}): Promise<KubeSource> {
    const config = loadKubeConfig(options);
    const report = options.onError ?? ((error: ConfigError) => console.error(`config: kubernetes: ${error.message}`));
    const backoff = { initialMs: options.backoff?.initialMs ?? 1000, maxMs: options.backoff?.maxMs ?? 30_000 };
    const resyncMs = options.resyncMs ?? 10 * 60_000;
    const source = new KubeSource(options.store ?? new MemoryConfigStore(), (store) =>
      (options.kinds ?? watchedKinds).map((kind) => new KindInformer({ config, kind, store, report, backoff, resyncMs })),
    );
    source.#informers.forEach((informer) => informer.start());
    await Promise.all(source.#informers.map((informer) => informer.firstAttempt));
    return source;
  }

  /** The objects skipped as invalid and the kinds failing, as they are now. */
  errors(): ConfigError[] {
    return this.#informers.flatMap((informer) => informer.errors());
  }

  close(): void {
    this.#informers.forEach((informer) => informer.close());
  }
}
