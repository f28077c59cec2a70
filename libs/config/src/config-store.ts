import { objectKey, type KnownKind, type KnownKinds, type KubeObject } from './kubernetes-types.ts';

export type ConfigEvent =
  | { type: 'add'; object: KubeObject }
  | { type: 'update'; object: KubeObject; previous: KubeObject }
  | { type: 'delete'; object: KubeObject };

export type ConfigListener = (event: ConfigEvent) => void;

/** What istiod reads config from, whatever the source (a folder, the Kubernetes API). */
export interface ConfigStore {
  /** Objects of a kind, in one namespace or all, sorted by namespace then name. */
  list<K extends KnownKind>(kind: K, namespace?: string): KnownKinds[K][];
  list(kind: string, namespace?: string): KubeObject[];
  get<K extends KnownKind>(kind: K, namespace: string, name: string): KnownKinds[K] | undefined;
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Every object, sorted by kind, namespace and name. */
  listAll(): KubeObject[];
  /** Calls the listener for every later add, update and delete; returns the unsubscriber. */
  subscribe(listener: ConfigListener): () => void;
}

/** A store held in memory. A source that rereads everything (a folder) feeds it whole snapshots
 *  through replaceAll(); one that hears of changes one by one (the Kubernetes API) uses set()
 *  and delete(). Either way subscribers hear only what changed: setting an object to what it
 *  already holds is no change, so a source may replay objects (a relist) without repeating
 *  events. */
export class MemoryConfigStore implements ConfigStore {
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

  /** Makes the store hold exactly these objects, emitting an event per object that was added,
   *  changed or removed. */
  replaceAll(objects: Iterable<KubeObject>): ConfigEvent[] {
    const next = new Map<string, KubeObject>();
    for (const object of objects) next.set(objectKey(object), object);
    const events: ConfigEvent[] = [];
    for (const [key, previous] of this.#objects) {
      if (!next.has(key)) events.push({ type: 'delete', object: previous });
    }
    for (const [key, object] of next) {
      const event = changeOf(this.#objects.get(key), object);
      if (event) events.push(event);
    }
    this.#objects = next;
    for (const event of events) this.#emit(event);
    return events;
  }

  /** Adds or replaces an object; emits add or update unless it is unchanged. */
  set(object: KubeObject): ConfigEvent | undefined {
    const key = objectKey(object);
    const event = changeOf(this.#objects.get(key), object);
    if (!event) return undefined;
    this.#objects.set(key, object);
    return this.#emit(event);
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

function changeOf(previous: KubeObject | undefined, object: KubeObject): ConfigEvent | undefined {
  if (previous === undefined) return { type: 'add', object };
  return JSON.stringify(previous) === JSON.stringify(object) ? undefined : { type: 'update', object, previous };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
