import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectionPath, type WatchedKind } from '../watched-kinds.ts';

type Stored = { metadata: { name: string; namespace?: string; resourceVersion?: string } } & Record<string, unknown>;
type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: Record<string, unknown> };

interface Collection {
  kind: WatchedKind;
  objects: Map<string, Stored>;
  /** Events after the last expiry, oldest first, by resourceVersion. */
  history: { resourceVersion: number; event: WatchEvent }[];
  /** Watches from a resourceVersion older than this are answered with 410 Gone: the events
   *  after it are forgotten. */
  compactedTo: number;
  /** How 410 is told: as an ERROR watch event (what API servers do), or as the HTTP status. */
  goneAs: 'event' | 'status';
  watchers: Set<ServerResponse>;
}

export interface RecordedRequest {
  path: string;
  watch: boolean;
  resourceVersion: string | undefined;
}

/** An HTTP server on loopback that answers list and watch requests as the Kubernetes API server
 *  does: JSON lists carrying metadata.resourceVersion, and for ?watch=true newline-delimited
 *  events streamed from the given resourceVersion, until the server ends them. Collections not
 *  served answer 404, as for a CRD that is not installed. */
export class FakeApiServer {
  readonly url: string;
  readonly requests: RecordedRequest[] = [];
  #server: Server;
  #token: string | undefined;
  #collections = new Map<string, Collection>();
  #resourceVersion = 100;
  #onRequest = new Set<(request: RecordedRequest) => void>();
  #onWatchEnd = new Set<() => void>();

  private constructor(server: Server, token: string | undefined) {
    this.#server = server;
    this.#token = token;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Starts on a free loopback port; with a token, requests must carry it as a bearer token. */
  static async start(options: { token?: string } = {}): Promise<FakeApiServer> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const fake = new FakeApiServer(server, options.token);
    server.on('request', (request, response) => fake.#handle(request, response));
    return fake;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  /** Starts serving a kind's collection, empty at first. */
  serve(kind: WatchedKind): void {
    const path = collectionPath(kind);
    if (this.#collections.has(path)) return;
    this.#collections.set(path, { kind, objects: new Map(), history: [], compactedTo: 0, goneAs: 'event', watchers: new Set() });
  }

  /** Creates or replaces an object, telling watchers ADDED or MODIFIED. With unseen, no watcher
   *  hears of it: a client can only learn of the change by listing again. */
  put(kind: WatchedKind, object: Record<string, unknown>, options: { unseen?: boolean } = {}): void {
    const collection = this.#collection(kind);
    const stored = structuredClone(object) as Stored;
    const key = `${stored.metadata.namespace ?? ''}/${stored.metadata.name}`;
    const type = collection.objects.has(key) ? 'MODIFIED' : 'ADDED';
    stored.metadata.resourceVersion = String(++this.#resourceVersion);
    collection.objects.set(key, stored);
    if (!options.unseen) this.#publish(collection, { type, object: stored });
  }

  remove(kind: WatchedKind, namespace: string, name: string, options: { unseen?: boolean } = {}): void {
    const collection = this.#collection(kind);
    const key = `${namespace}/${name}`;
    const object = collection.objects.get(key);
    if (!object) throw new Error(`no ${kind.kind} ${key} to remove`);
    collection.objects.delete(key);
    const deleted = structuredClone(object);
    deleted.metadata.resourceVersion = String(++this.#resourceVersion);
    if (!options.unseen) this.#publish(collection, { type: 'DELETED', object: deleted });
  }

  /** Tells watchers the collection has reached the current resourceVersion. */
  bookmark(kind: WatchedKind): void {
    const resourceVersion = String(++this.#resourceVersion);
    this.#publish(this.#collection(kind), { type: 'BOOKMARK', object: { kind: kind.kind, apiVersion: kind.apiVersion, metadata: { resourceVersion } } });
  }

  /** Ends every open watch of a kind, as an API server does when a watch times out. */
  endWatches(kind: WatchedKind): void {
    const collection = this.#collection(kind);
    for (const watcher of collection.watchers) watcher.end();
    collection.watchers.clear();
  }

  /** Forgets the kind's history, as etcd compaction does, and ends its watches: a client that
   *  watches again from its old resourceVersion gets 410 Gone and has to list again. */
  expire(kind: WatchedKind, goneAs: 'event' | 'status' = 'event'): void {
    const collection = this.#collection(kind);
    collection.history = [];
    collection.compactedTo = this.#resourceVersion;
    collection.goneAs = goneAs;
    this.endWatches(kind);
  }

  /** Resolves with the next request that matches. */
  nextRequest(matches: (request: RecordedRequest) => boolean): Promise<RecordedRequest> {
    return new Promise((resolve) => {
      const listener = (request: RecordedRequest) => {
        if (!matches(request)) return;
        this.#onRequest.delete(listener);
        resolve(request);
      };
      this.#onRequest.add(listener);
    });
  }

  /** Resolves once no watch is open, on any collection. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if ([...this.#collections.values()].some((c) => c.watchers.size > 0)) return;
        this.#onWatchEnd.delete(check);
        resolve();
      };
      this.#onWatchEnd.add(check);
      check();
    });
  }

  #collection(kind: WatchedKind): Collection {
    const collection = this.#collections.get(collectionPath(kind));
    if (!collection) throw new Error(`${kind.kind} is not served; call serve() first`);
    return collection;
  }

  #publish(collection: Collection, event: WatchEvent): void {
    const resourceVersion = Number((event.object.metadata as { resourceVersion: string }).resourceVersion);
    if (event.type !== 'BOOKMARK') collection.history.push({ resourceVersion, event });
    for (const watcher of collection.watchers) watcher.write(`${JSON.stringify(event)}\n`);
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    const recorded: RecordedRequest = {
      path: url.pathname,
      watch: url.searchParams.get('watch') === 'true',
      resourceVersion: url.searchParams.get('resourceVersion') ?? undefined,
    };
    this.requests.push(recorded);
    for (const listener of [...this.#onRequest]) listener(recorded);

    if (this.#token !== undefined && request.headers.authorization !== `Bearer ${this.#token}`) {
      return sendStatus(response, 401, 'Unauthorized', 'Unauthorized');
    }
    const collection = this.#collections.get(url.pathname);
    if (!collection) return sendStatus(response, 404, 'NotFound', 'the server could not find the requested resource');
    if (recorded.watch) this.#watch(collection, recorded.resourceVersion, response);
    else this.#list(collection, response);
  }

  #list(collection: Collection, response: ServerResponse): void {
    // Built-in kinds are listed without each item's apiVersion and kind; custom resources keep them.
    const items = [...collection.objects.values()].map((object) => {
      if (collection.kind.custom) return object;
      const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
      return rest;
    });
    const list = { apiVersion: collection.kind.apiVersion, kind: `${collection.kind.kind}List`, metadata: { resourceVersion: String(this.#resourceVersion) }, items };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(list));
  }

  #watch(collection: Collection, from: string | undefined, response: ServerResponse): void {
    const since = Number(from || this.#resourceVersion);
    if (since < collection.compactedTo) {
      const message = `too old resource version: ${since} (${collection.compactedTo})`;
      if (collection.goneAs === 'status') return sendStatus(response, 410, 'Expired', message);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', message) })}\n`);
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.flushHeaders();
    for (const { resourceVersion, event } of collection.history) {
      if (resourceVersion > since) response.write(`${JSON.stringify(event)}\n`);
    }
    collection.watchers.add(response);
    response.on('close', () => {
      collection.watchers.delete(response);
      for (const listener of [...this.#onWatchEnd]) listener();
    });
  }
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function sendStatus(response: ServerResponse, code: number, reason: string, message: string): void {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify(status(code, reason, message)));
}
