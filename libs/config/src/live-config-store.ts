import type { ConfigEvent, ConfigListener, ConfigStore } from './config-store.ts';
import { objectKey, type KnownKind, type KnownKinds, type KubeObject } from './kubernetes-types.ts';

/** A store changed one object at a time, for sources that hear of changes one by one (the
 *  Kubernetes API) rather than rereading everything. Setting an object to what it already holds
 *  is not a change, so a source may replay objects (a relist) without repeating events. */
export class LiveConfigStore implements ConfigStore {
  #objects = new Map<string, KubeObject>();
  #listeners = new Set<ConfigListener>();

  list<K extends KnownKind>(kind: K, namespace?: string): KnownKinds[K][];
  list(kind: string, namespace?: string): KubeObject[];
  list(kind: string, namespace?: string): KubeObject[] {
    return [...this.#objects.values()]
      .filter((o) => o.kind === kind && (namespace === undefined || (o.metadata.namespace ?? '') === namespace))
      .sort((a, b) => compare(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || compare(a.metadata.name, b.metadata.name));
  }

  get<K extends KnownKind>(kind: K, namespace: string, name: string): KnownKinds[K] | undefined;
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.#objects.get(`${kind}/${namespace}/${name}`) ?? this.#objects.get(`${kind}//${name}`);
  }

  listAll(): KubeObject[] {
    const sortKey = (o: KubeObject) => `${o.kind}\0${o.metadata.namespace ?? ''}\0${o.metadata.name}`;
    return [...this.#objects.values()].sort((a, b) => compare(sortKey(a), sortKey(b)));
  }

  subscribe(listener: ConfigListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Adds or replaces an object; emits add or update unless it is unchanged. */
  set(object: KubeObject): ConfigEvent | undefined {
    const key = objectKey(object);
    const previous = this.#objects.get(key);
    if (previous !== undefined && JSON.stringify(previous) === JSON.stringify(object)) return undefined;
    this.#objects.set(key, object);
    return this.#emit(previous === undefined ? { type: 'add', object } : { type: 'update', object, previous });
  }

  /** Removes the object with this store key (see objectKey); emits delete if it was there. */
  delete(key: string): ConfigEvent | undefined {
    const object = this.#objects.get(key);
    if (object === undefined) return undefined;
    this.#objects.delete(key);
    return this.#emit({ type: 'delete', object });
  }

  /** The store keys of the objects of one kind. */
  keysOf(kind: string): string[] {
    return [...this.#objects.values()].filter((o) => o.kind === kind).map(objectKey);
  }

  #emit(event: ConfigEvent): ConfigEvent {
    for (const listener of this.#listeners) listener(event);
    return event;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
