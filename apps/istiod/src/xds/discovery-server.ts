import type { ConfigStore } from '@mizzen/config';
import type { JsonObject } from '@mizzen/xds';
import { parseProxyNode, type Proxy } from '../model/proxy.ts';
import { buildPushContext, type PushContext } from '../model/push-context.ts';
import { cds } from './cds.ts';
import { eds } from './eds.ts';
import type { Generator } from './generator.ts';
import { lds } from './lds.ts';
import { nds } from './nds.ts';
import { PushQueue } from './push-queue.ts';
import { grpcGenerators } from '../proxyless/grpc-generators.ts';
import { isProxylessGrpc } from '../proxyless/grpc-node.ts';
import { rds } from './rds.ts';
import { sds } from './sds.ts';

// NDS: the name table for the agent's DNS proxy, asked for on the proxy's own stream. SDS: the
// Kubernetes credentials of a gateway's TLS servers.
export const generators: readonly Generator[] = [cds, eds, lds, rds, nds, sds];

/** Sends resources of a type on a stream (AdsServer.push); false when the stream is gone. */
export type Pusher = (streamId: string, typeUrl: string, resources: JsonObject[], version: string) => boolean | void;

export type Log = (message: string) => void;

/** What the discovery server reports as it works, for metrics. Types are short names ("CDS"). */
export interface DiscoveryObserver {
  /** Resources of a type went to a proxy, built and sent in `seconds`. */
  pushed(type: string, seconds: number): void;
  /** A proxy rejected what it was sent of a type. */
  rejected(type: string): void;
  /** A config change has been pushed to every connected proxy. */
  configPushed(): void;
}

const resourceJson = new WeakMap<JsonObject, string>();

/** The JSON of a response, to tell whether it changed. Generators share resources that do not
 *  depend on the proxy (outbound clusters, load assignments) among proxies within a push, so
 *  each of those is written out once. */
function digestOf(resources: JsonObject[]): string {
  return resources
    .map((resource) => {
      let json = resourceJson.get(resource);
      if (json === undefined) {
        json = JSON.stringify(resource);
        resourceJson.set(resource, json);
      }
      return json;
    })
    .join(',');
}

/** A proxyless gRPC client gets its own generators; every other proxy a sidecar's. */
function generatorsFor(connection: Connection): readonly Generator[] {
  return isProxylessGrpc(connection.node) ? grpcGenerators : generators;
}

/** What istiod knows about one type on one stream, for /debug/syncz and proxy-status. */
export interface TypeSyncState {
  /** The subscribed resource names (empty for whole-type subscriptions such as CDS). */
  resourceNames: string[];
  sentVersion?: string;
  sentAt?: string;
  sentCount?: number;
  ackedVersion?: string;
  ackedNonce?: string;
  ackedAt?: string;
  nack?: { version: string; nonce: string; error: string; at: string };
  /** The JSON of what was last sent, to push only what changed. */
  sentDigest?: string;
}

export interface Connection {
  streamId: string;
  peer: string;
  connectedAt: string;
  node: JsonObject;
  /** Undefined when the node could not be read; `error` then says why. */
  proxy?: Proxy;
  error?: string;
  types: Map<string, TypeSyncState>;
  /** Whether the proxy speaks delta xDS: it then gets only what changed of each type. */
  delta?: boolean;
}

/** The heart of istiod's transport: it answers each proxy's subscriptions with that proxy's
 *  resources, rebuilds the push context when config changes, and pushes what changed. It is
 *  the AdsServer's handler; nothing here knows about gRPC. */
export class DiscoveryServer {
  readonly connections = new Map<string, Connection>();
  #push: PushContext;
  #pushCount = 0;
  #pusher: Pusher | undefined;
  readonly #store: ConfigStore;
  readonly #queue: PushQueue;
  readonly #unsubscribe: () => void;
  readonly #log: Log;
  readonly #observer: DiscoveryObserver | undefined;

  constructor(store: ConfigStore, options: { log?: Log; debounceMs?: number; observer?: DiscoveryObserver } = {}) {
    this.#store = store;
    this.#log = options.log ?? ((message) => console.log(message));
    this.#observer = options.observer;
    this.#push = this.#buildPushContext(undefined);
    this.#queue = new PushQueue(() => this.#onConfigChange(), { quietMs: options.debounceMs ?? 100 });
    this.#unsubscribe = store.subscribe(() => this.#queue.enqueue());
  }

  /** Where responses go: set once the ADS server exists. */
  setPusher(pusher: Pusher): void {
    this.#pusher = pusher;
  }

  get pushContext(): PushContext {
    return this.#push;
  }

  close(): void {
    this.#queue.close();
    this.#unsubscribe();
  }

  onStreamOpen(stream: { id: string; node: JsonObject; peer: string }): void {
    const connection: Connection = { streamId: stream.id, peer: stream.peer, connectedAt: new Date().toISOString(), node: stream.node, types: new Map() };
    try {
      connection.proxy = parseProxyNode(stream.node);
      this.#log(`xds: ${connection.proxy.id} connected from ${stream.peer}`);
    } catch (error) {
      connection.error = (error as Error).message;
      this.#log(`xds: stream ${stream.id} from ${stream.peer} has an unusable node, sending it nothing: ${connection.error}`);
    }
    this.connections.set(stream.id, connection);
  }

  onSubscribe(streamId: string, typeUrl: string, resourceNames: string[]): void {
    const connection = this.connections.get(streamId);
    if (!connection) return;
    const state = connection.types.get(typeUrl) ?? { resourceNames: [] };
    state.resourceNames = [...resourceNames];
    connection.types.set(typeUrl, state);
    // A subscription always gets an answer, even when nothing changed since the last one.
    this.#send(connection, typeUrl, true);
  }

  onAck(streamId: string, typeUrl: string, version: string, nonce: string): void {
    const state = this.connections.get(streamId)?.types.get(typeUrl);
    if (!state) return;
    state.ackedVersion = version;
    state.ackedNonce = nonce;
    state.ackedAt = new Date().toISOString();
    state.nack = undefined;
  }

  onNack(streamId: string, typeUrl: string, version: string, nonce: string, error: string): void {
    const connection = this.connections.get(streamId);
    const state = connection?.types.get(typeUrl);
    if (!connection || !state) return;
    state.nack = { version, nonce, error, at: new Date().toISOString() };
    this.#observer?.rejected(generatorsFor(connection).find((g) => g.typeUrl === typeUrl)?.shortName ?? typeUrl);
    this.#log(`xds: ${connection.proxy?.id ?? streamId} rejected ${typeUrl} version ${state.sentVersion}: ${error}`);
  }

  onStreamClose(streamId: string): void {
    const connection = this.connections.get(streamId);
    if (!connection) return;
    this.connections.delete(streamId);
    this.#log(`xds: ${connection.proxy?.id ?? streamId} disconnected`);
  }

  /** Rebuilds now, without waiting for the debounce (for tests and a manual trigger). */
  pushNow(): void {
    this.#onConfigChange();
  }

  /** The resources of every type for a connected proxy, with EDS and RDS limited to what it
   *  subscribed to. */
  resourcesFor(connection: Connection): Map<string, JsonObject[]> {
    const result = new Map<string, JsonObject[]>();
    if (!connection.proxy) return result;
    for (const generator of generatorsFor(connection)) {
      const names = connection.types.get(generator.typeUrl)?.resourceNames ?? [];
      result.set(generator.typeUrl, generator.generate(this.#push, connection.proxy, names));
    }
    return result;
  }

  #onConfigChange(): void {
    this.#push = this.#buildPushContext(this.#push);
    for (const connection of this.connections.values()) {
      for (const typeUrl of connection.types.keys()) this.#send(connection, typeUrl, false);
    }
    this.#observer?.configPushed();
  }

  #buildPushContext(previous: PushContext | undefined): PushContext {
    this.#pushCount += 1;
    const push = buildPushContext(this.#store, `${new Date().toISOString()}/${this.#pushCount}`);
    // Each warning is logged when it first appears, not on every rebuild.
    const known = new Set(previous?.registry.warnings);
    for (const warning of push.registry.warnings) if (!known.has(warning)) this.#log(`registry: ${warning}`);
    return push;
  }

  #send(connection: Connection, typeUrl: string, always: boolean): void {
    const state = connection.types.get(typeUrl);
    const generator = generatorsFor(connection).find((g) => g.typeUrl === typeUrl);
    if (!state || !connection.proxy || !this.#pusher) return;
    if (!generator) {
      this.#log(`xds: ${connection.proxy.id} asked for ${typeUrl}, which istiod does not serve`);
      return;
    }
    const started = performance.now();
    let resources: JsonObject[];
    try {
      resources = generator.generate(this.#push, connection.proxy, state.resourceNames);
    } catch (error) {
      // A generator bug must not take down istiod or the other proxies.
      this.#log(`xds: building ${generator.shortName} for ${connection.proxy.id} failed: ${(error as Error).stack ?? error}`);
      return;
    }
    const digest = digestOf(resources);
    if (!always && digest === state.sentDigest) return;
    const version = this.#push.version;
    try {
      if (this.#pusher(connection.streamId, typeUrl, resources, version) === false) return;
    } catch (error) {
      this.#log(`xds: sending ${generator.shortName} to ${connection.proxy.id} failed: ${(error as Error).message}`);
      return;
    }
    this.#observer?.pushed(generator.shortName, (performance.now() - started) / 1000);
    Object.assign(state, { sentVersion: version, sentAt: new Date().toISOString(), sentCount: resources.length, sentDigest: digest });
  }
}
