// The server side of delta (incremental) ADS over gRPC. It keeps, per stream and type, what
// the client subscribed to and which version of each resource it holds, tells its handler what
// each request means, and turns a type's full desired set into the changes the client lacks.
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { JsonObject } from '../json/codec.ts';
import type { DeltaDiscoveryRequest } from '../resources/discovery.ts';
import { resourceName } from '../resources/type-url.ts';
import { XdsError } from '../xds-error.ts';
import { deltaAdsServiceDefinition, type WireDeltaResponse } from './delta-wire.ts';
import {
  coversName,
  deltaToSend,
  emptyDeltaServerStreamState,
  onDeltaServerRequest,
  onDeltaServerResponse,
  owesAnswer,
  type DeltaChanges,
  type DeltaServerDecision,
  type DeltaServerStreamState,
  type DeltaSubscription,
} from './delta-server-state.ts';
import { encodePushed, type EncodedResource } from './pushed-resource.ts';
import { ServerStreams, wroteResponse, type OpenStream, type StreamHandler } from './server-streams.ts';

export interface DeltaAdsServerHandler extends StreamHandler {
  /** A type's subscription started or changed; answer with pushDesired() or pushChanges(). */
  onSubscribe(streamId: string, typeUrl: string, subscription: DeltaSubscription): void;
}

/** Explicit changes for pushChanges(): resources to add or replace, names to remove. */
export interface DeltaPush {
  resources?: JsonObject[];
  removed?: string[];
}

type DeltaCall = grpc.ServerDuplexStream<DeltaDiscoveryRequest, WireDeltaResponse>;
type SubscribeDecision = Extract<DeltaServerDecision, { kind: 'subscribe' }>;
type DeltaStream = OpenStream<DeltaDiscoveryRequest, WireDeltaResponse, DeltaServerStreamState>;

/** Packs a type's resources by name (each object encoded once, however many streams get it;
 *  its version a digest of the encoding: equal content, equal version); a bad, unnamed or
 *  repeated one throws XdsError naming it. */
function packResources(typeUrl: string, resources: JsonObject[]): Map<string, EncodedResource> {
  const packed = new Map<string, EncodedResource>();
  resources.forEach((resource, i) => {
    const name = resourceName(resource);
    if (name === '') throw new XdsError(`push ${typeUrl}: resources[${i}] has no name`);
    if (packed.has(name)) throw new XdsError(`push ${typeUrl}: resource ${JSON.stringify(name)} appears twice`);
    packed.set(name, encodePushed(typeUrl, resource, i, name));
  });
  return packed;
}

export class DeltaAdsServer {
  readonly #streams: ServerStreams<DeltaDiscoveryRequest, WireDeltaResponse, DeltaServerStreamState, SubscribeDecision>;

  constructor(handler: DeltaAdsServerHandler) {
    this.#streams = new ServerStreams(handler, {
      idMark: '#delta-',
      requestName: 'DeltaDiscoveryRequest',
      emptyState: emptyDeltaServerStreamState,
      onRequest: onDeltaServerRequest,
      onSubscribe: (id, decision: SubscribeDecision) => handler.onSubscribe(id, decision.typeUrl, decision.subscription),
    });
  }

  /** Serves DeltaAggregatedResources on a gRPC server (AdsServer does this when given one). */
  addTo(server: grpc.Server): void {
    server.addService(deltaAdsServiceDefinition, {
      DeltaAggregatedResources: (call: DeltaCall) => this.#streams.accept(call),
    });
  }

  /** Cuts every open stream (the gRPC server is closing). */
  closeStreams(): void {
    this.#streams.closeAll();
  }

  streamIds(): string[] {
    return this.#streams.ids();
  }

  /** Whether a stream's client is behind: earlier responses still wait to be written. A
   *  server with many streams can hold back new pushes to it instead of piling them up. */
  isBackedUp(streamId: string): boolean {
    return this.#streams.isBackedUp(streamId);
  }

  /** Calls back once a stream that is behind has caught up (at once if it is not); never if
   *  it closes first. */
  onceCaughtUp(streamId: string, callback: () => void): void {
    this.#streams.onceCaughtUp(streamId, callback);
  }

  /** What a stream subscribed to, holds, and was sent, per type URL (for proxy-status and syncz). */
  streamState(streamId: string): DeltaServerStreamState | undefined {
    return this.#streams.get(streamId)?.state;
  }

  /**
   * Gives a type's full desired set for a stream; the server sends only the resources the
   * client's subscription covers whose content differs from what it holds, and removes what
   * it holds but is no longer desired. Sends nothing when nothing differs (except the first
   * answer a fresh subscription waits for). Returns false when the stream is gone.
   */
  pushDesired(streamId: string, typeUrl: string, resources: JsonObject[], version: string): boolean {
    const stream = this.#streams.get(streamId);
    if (!stream) return false;
    const packed = packResources(typeUrl, resources);
    const desired = new Map([...packed].map(([name, { version: v }]) => [name, v]));
    const changes = deltaToSend(stream.state.types.get(typeUrl), desired);
    if (changes.updated.length > 0 || changes.removed.length > 0 || changes.owed) this.#send(stream, typeUrl, version, changes, packed);
    return true;
  }

  /**
   * Sends explicit changes: these resources (even if the client holds the same) and these
   * removals, limited to what the client subscribed to; nothing when that leaves no change,
   * except the first answer a fresh subscription waits for. Returns false when the stream is gone.
   */
  pushChanges(streamId: string, typeUrl: string, push: DeltaPush, version: string): boolean {
    const stream = this.#streams.get(streamId);
    if (!stream) return false;
    const packed = packResources(typeUrl, push.resources ?? []);
    const type = stream.state.types.get(typeUrl);
    if (!type) return true;
    const changes: DeltaChanges = {
      updated: [...packed].filter(([name]) => coversName(type, name)).map(([name, { version: v }]) => [name, v]),
      removed: [...new Set(push.removed ?? [])].filter((name) => coversName(type, name) || type.clientVersions.has(name)),
    };
    if (changes.updated.length > 0 || changes.removed.length > 0 || owesAnswer(type)) this.#send(stream, typeUrl, version, changes, packed);
    return true;
  }

  #send(stream: DeltaStream, typeUrl: string, version: string, changes: DeltaChanges, packed: Map<string, EncodedResource>): void {
    const nonce = randomUUID();
    stream.state = onDeltaServerResponse(stream.state, typeUrl, { nonce, version, changes });
    stream.call.write({
      system_version_info: version,
      type_url: typeUrl,
      nonce,
      resources: changes.updated.map(([name, v]) => ({ name, version: v, resource: packed.get(name)!.any })),
      removed_resources: changes.removed,
    });
    wroteResponse(stream);
  }
}
