import type { ConfigStore } from '@mizzen/config';
import { resourceName, TypeUrl, type JsonObject } from '@mizzen/xds';
import { parseProxyNode, type Proxy } from '../model/proxy.ts';
import { buildPushContext, withChangedEndpoints, type PushContext } from '../model/push-context.ts';
import { classifyChange, fullPush, mergePushRequests, type PushRequest } from '../model/push-request.ts';
import { cds } from './cds.ts';
import { eds } from './eds.ts';
import type { Generator } from './generator.ts';
import { lds } from './lds.ts';
import { nds } from './nds.ts';
import { PushQueue } from './push-queue.ts';
import { grpcGenerators } from '../proxyless/grpc-generators.ts';
import { isProxylessGrpc } from '../proxyless/grpc-node.ts';
import { rds } from './rds.ts';
import { interned, resourceDigest, responseDigest } from './resource-digest.ts';
import { sds } from './sds.ts';

// NDS: the name table for the agent's DNS proxy, asked for on the proxy's own stream. SDS: the
// Kubernetes credentials of a gateway's TLS servers.
export const generators: readonly Generator[] = [cds, eds, lds, rds, nds, sds];

/** Sends resources of a type on a stream (AdsServer.push); false when the stream is gone.
 *  `partial`: these are only the resources that changed (an endpoint push), and what the
 *  proxy holds besides stays; otherwise they are everything the proxy should hold. */
export type Pusher = (streamId: string, typeUrl: string, resources: JsonObject[], version: string, partial?: boolean) => boolean | void;

/** Whether a stream keeps up with what it is sent (the ADS servers' write buffers). A stream
 *  that is behind gets no new push until it has caught up, and then only the latest state. */
export interface FlowControl {
  isBackedUp(streamId: string): boolean;
  /** Calls back once the stream has caught up (never if it closes first). */
  onceCaughtUp(streamId: string, callback: () => void): void;
}

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
  /** A digest of what was last sent, to push only what changed. */
  sentDigest?: string;
  /** EDS: the digest of each load assignment sent, by cluster name, so that an endpoint push
   *  sends only the assignments that changed. */
  sentByName?: Map<string, string>;
  /** EDS: the subscribed cluster names by service hostname, to find the proxies an endpoint
   *  change reaches without reading every name. */
  namesByHost?: Map<string, string[]>;
}

/** What a connection is owed by the config changes not yet pushed to it. */
interface OwedPush {
  /** Every type, rebuilt. */
  full: boolean;
  /** Otherwise the load assignments of these hostnames. */
  edsHosts: Set<string>;
}

/** Connections pushed to in one turn of the event loop, before ACKs and writes get their turn. */
const defaultPushBatch = 16;

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
 *  resources, and on config changes pushes what changed: a full push rebuilds the push context
 *  and every type, an endpoint-only change only the load assignments of the services it
 *  touches, to the proxies that asked for them. Pushes go out a batch of connections per turn
 *  of the event loop, and a proxy that does not keep up is skipped until it has caught up, so
 *  it never holds the others back. It is the AdsServer's handler; nothing here knows about
 *  gRPC. */
export class DiscoveryServer {
  readonly connections = new Map<string, Connection>();
  #push: PushContext;
  #pushCount = 0;
  #pusher: Pusher | undefined;
  #flow: FlowControl | undefined;
  /** What the config changes since the last push ask for. */
  #pending: PushRequest | undefined;
  /** Connections owed a push, in the order they are served. */
  readonly #owed = new Map<string, OwedPush>();
  /** Connections owed a push that wait to catch up with what they were sent. */
  readonly #waiting = new Set<string>();
  #drainScheduled: NodeJS.Immediate | undefined;
  readonly #pushBatch: number;
  readonly #store: ConfigStore;
  readonly #queue: PushQueue;
  readonly #unsubscribe: () => void;
  readonly #log: Log;
  readonly #observer: DiscoveryObserver | undefined;

  constructor(store: ConfigStore, options: { log?: Log; debounceMs?: number; observer?: DiscoveryObserver; pushBatch?: number } = {}) {
    this.#store = store;
    this.#log = options.log ?? ((message) => console.log(message));
    this.#observer = options.observer;
    this.#pushBatch = options.pushBatch ?? defaultPushBatch;
    this.#push = this.#buildPushContext(undefined);
    this.#queue = new PushQueue(() => this.#pending && this.#onConfigChange(), { quietMs: options.debounceMs ?? 100 });
    this.#unsubscribe = store.subscribe((event) => {
      this.#pending = mergePushRequests(this.#pending, this.#classify(event));
      this.#queue.enqueue();
    });
  }

  /** Where responses go: set once the ADS server exists. */
  setPusher(pusher: Pusher): void {
    this.#pusher = pusher;
  }

  /** How to tell a stream that is behind; without it every stream is taken to keep up. */
  setFlowControl(flow: FlowControl): void {
    this.#flow = flow;
  }

  get pushContext(): PushContext {
    return this.#push;
  }

  close(): void {
    this.#queue.close();
    this.#unsubscribe();
    if (this.#drainScheduled) clearImmediate(this.#drainScheduled);
    this.#owed.clear();
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
    if (typeUrl === TypeUrl.ClusterLoadAssignment) state.namesByHost = namesByHost(resourceNames);
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
    this.#owed.delete(streamId);
    this.#waiting.delete(streamId);
    this.#log(`xds: ${connection.proxy?.id ?? streamId} disconnected`);
  }

  /** Pushes now, without waiting for the debounce (for tests and a manual trigger): what the
   *  changes since the last push ask for, or everything when there were none. The push context
   *  is new when this returns; the pushes follow, a batch of proxies at a time. */
  pushNow(): void {
    this.#onConfigChange();
  }

  /** Whether every push owed to a connection has gone out (streams behind included). */
  get idle(): boolean {
    return this.#owed.size === 0;
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

  #classify(event: Parameters<typeof classifyChange>[0]): PushRequest {
    try {
      return classifyChange(event, this.#push);
    } catch (error) {
      // Whatever the event holds, a full push is always right.
      this.#log(`xds: cannot tell what ${event.object.kind} ${event.object.metadata.namespace ?? ''}/${event.object.metadata.name} changed, pushing everything: ${(error as Error).message}`);
      return fullPush;
    }
  }

  #onConfigChange(): void {
    const request = this.#pending ?? fullPush;
    this.#pending = undefined;
    this.#push = request.full ? this.#buildPushContext(this.#push) : this.#endpointsPushContext(request.edsHosts);
    for (const connection of this.connections.values()) {
      const proxy = connection.proxy;
      if (!proxy) continue;
      if (request.full || request.pods.has(`${proxy.namespace}/${proxy.podName}`)) {
        this.#owe(connection.streamId, { full: true, edsHosts: new Set() });
        continue;
      }
      const byHost = connection.types.get(TypeUrl.ClusterLoadAssignment)?.namesByHost;
      const hosts = new Set(byHost ? [...request.edsHosts].filter((h) => byHost.has(h)) : []);
      if (hosts.size > 0) this.#owe(connection.streamId, { full: false, edsHosts: hosts });
    }
    this.#drainSoon();
  }

  #buildPushContext(previous: PushContext | undefined): PushContext {
    const push = buildPushContext(this.#store, this.#nextVersion());
    // Each warning is logged when it first appears, not on every rebuild.
    const known = new Set(previous?.registry.warnings);
    for (const warning of push.registry.warnings) if (!known.has(warning)) this.#log(`registry: ${warning}`);
    return push;
  }

  /** An endpoint-only change: the registry updated in place of a rebuild. */
  #endpointsPushContext(hostnames: ReadonlySet<string>): PushContext {
    const previous = this.#push;
    const push = withChangedEndpoints(previous, this.#store, this.#nextVersion(), hostnames);
    const known = new Set(previous.registry.warnings);
    for (const warning of push.registry.warnings) if (!known.has(warning)) this.#log(`registry: ${warning}`);
    return push;
  }

  #nextVersion(): string {
    this.#pushCount += 1;
    return `${new Date().toISOString()}/${this.#pushCount}`;
  }

  /** Adds to what a connection is owed; a connection owed a push keeps its place in line. */
  #owe(streamId: string, push: OwedPush): void {
    const owed = this.#owed.get(streamId);
    if (!owed) this.#owed.set(streamId, push);
    else if (push.full) owed.full = true;
    else for (const host of push.edsHosts) owed.edsHosts.add(host);
  }

  #drainSoon(): void {
    this.#drainScheduled ??= setImmediate(() => this.#drain());
  }

  /** Serves a batch of the connections owed a push, then yields to the event loop (ACKs,
   *  writes, new requests) before the next batch. A stream that is behind waits until it has
   *  caught up; what it is owed meanwhile accumulates into one push. */
  #drain(): void {
    this.#drainScheduled = undefined;
    let served = 0;
    for (const [streamId, owed] of this.#owed) {
      if (served >= this.#pushBatch) break;
      if (this.#waiting.has(streamId)) continue;
      if (this.#flow?.isBackedUp(streamId)) {
        this.#waiting.add(streamId);
        this.#flow.onceCaughtUp(streamId, () => {
          this.#waiting.delete(streamId);
          this.#drainSoon();
        });
        continue;
      }
      this.#owed.delete(streamId);
      served += 1;
      const connection = this.connections.get(streamId);
      if (!connection) continue;
      if (owed.full) for (const typeUrl of connection.types.keys()) this.#send(connection, typeUrl, false);
      else this.#sendEndpoints(connection, owed.edsHosts);
    }
    if (this.#owed.size > this.#waiting.size) this.#drainSoon();
    else this.#observer?.configPushed();
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
    const resources = this.#generate(connection, generator, state.resourceNames);
    if (!resources) return;
    if (typeUrl === TypeUrl.ClusterLoadAssignment) {
      const byName = new Map(resources.map((r) => [resourceName(r), resourceDigest(r)]));
      if (!always && sameDigests(byName, state.sentByName)) return;
      if (this.#deliver(connection, generator, resources, started)) state.sentByName = byName;
      return;
    }
    const digest = responseDigest(resources);
    if (!always && digest === state.sentDigest) return;
    if (this.#deliver(connection, generator, resources, started)) state.sentDigest = digest;
  }

  /** An endpoint push: the load assignments of these hostnames that the proxy asked for and
   *  that changed. Only those are sent: a load assignment left out of a response stays as the
   *  proxy has it, as xDS defines EDS. */
  #sendEndpoints(connection: Connection, hostnames: ReadonlySet<string>): void {
    const state = connection.types.get(TypeUrl.ClusterLoadAssignment);
    const generator = generatorsFor(connection).find((g) => g.typeUrl === TypeUrl.ClusterLoadAssignment);
    if (!state?.namesByHost || !generator || !connection.proxy || !this.#pusher) return;
    const started = performance.now();
    const names = [...hostnames].flatMap((host) => state.namesByHost?.get(host) ?? []);
    const resources = this.#generate(connection, generator, names);
    if (!resources) return;
    const sentByName = state.sentByName ?? new Map<string, string>();
    const changed = resources.filter((r) => sentByName.get(resourceName(r)) !== resourceDigest(r));
    if (changed.length === 0) return;
    if (!this.#deliver(connection, generator, changed, started, true)) return;
    for (const resource of changed) sentByName.set(resourceName(resource), resourceDigest(resource));
    state.sentByName = sentByName;
    state.sentCount = sentByName.size;
  }

  #generate(connection: Connection, generator: Generator, names: string[]): JsonObject[] | undefined {
    try {
      return interned(this.#push, generator.generate(this.#push, connection.proxy as Proxy, names));
    } catch (error) {
      // A generator bug must not take down istiod or the other proxies.
      this.#log(`xds: building ${generator.shortName} for ${connection.proxy?.id} failed: ${(error as Error).stack ?? error}`);
      return undefined;
    }
  }

  /** Sends a response and records it; false when it could not go out. */
  #deliver(connection: Connection, generator: Generator, resources: JsonObject[], started: number, partial = false): boolean {
    const state = connection.types.get(generator.typeUrl);
    if (!state || !this.#pusher) return false;
    const version = this.#push.version;
    try {
      if (this.#pusher(connection.streamId, generator.typeUrl, resources, version, partial) === false) return false;
    } catch (error) {
      this.#log(`xds: sending ${generator.shortName} to ${connection.proxy?.id} failed: ${(error as Error).message}`);
      return false;
    }
    this.#observer?.pushed(generator.shortName, (performance.now() - started) / 1000);
    Object.assign(state, { sentVersion: version, sentAt: new Date().toISOString() });
    if (!partial) state.sentCount = resources.length;
    return true;
  }
}

function sameDigests(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string> | undefined): boolean {
  if (!b || a.size !== b.size) return false;
  for (const [name, digest] of a) if (b.get(name) !== digest) return false;
  return true;
}

/** EDS names ("outbound|PORT|SUBSET|HOST") grouped by their service hostname. */
function namesByHost(names: readonly string[]): Map<string, string[]> {
  const byHost = new Map<string, string[]>();
  for (const name of names) {
    const host = name.slice(name.lastIndexOf('|') + 1);
    const list = byHost.get(host);
    if (list) list.push(name);
    else byHost.set(host, [name]);
  }
  return byHost;
}
