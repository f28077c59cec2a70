// The server side of delta (incremental) ADS over gRPC. It keeps, per stream and type, what
// the client subscribed to and which version of each resource it holds, tells its handler what
// each request means, and turns a type's full desired set into the changes the client lacks.
import { createHash, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { packAny, type JsonObject, type PackedAny } from '../json/codec.ts';
import type { DeltaDiscoveryRequest } from '../resources/discovery.ts';
import { resourceName } from '../resources/type-url.ts';
import { XdsError } from '../xds-error.ts';
import type { AdsStreamInfo } from './ads-server.ts';
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

export interface DeltaAdsServerHandler {
  onStreamOpen(stream: AdsStreamInfo): void;
  /** A type's subscription started or changed; answer with pushDesired() or pushChanges(). */
  onSubscribe(streamId: string, typeUrl: string, subscription: DeltaSubscription): void;
  /** version: the system_version_info of the response the client accepted. */
  onAck(streamId: string, typeUrl: string, version: string, nonce: string): void;
  onNack(streamId: string, typeUrl: string, version: string, nonce: string, error: string): void;
  onStreamClose(streamId: string): void;
}

/** Explicit changes for pushChanges(): resources to add or replace, names to remove. */
export interface DeltaPush {
  resources?: JsonObject[];
  removed?: string[];
}

type DeltaCall = grpc.ServerDuplexStream<DeltaDiscoveryRequest, WireDeltaResponse>;

interface OpenStream {
  call: DeltaCall;
  state: DeltaServerStreamState;
  opened: boolean;
}

interface PackedResource {
  version: string;
  any: PackedAny;
}

/** A resource's version is a digest of its encoding: equal content, equal version. */
function contentVersion(any: PackedAny): string {
  return createHash('sha256').update(any.value).digest('base64url').slice(0, 22);
}

/** Packs a type's resources by name; a bad, unnamed or repeated one throws XdsError naming it. */
function packResources(typeUrl: string, resources: JsonObject[]): Map<string, PackedResource> {
  const packed = new Map<string, PackedResource>();
  resources.forEach((resource, i) => {
    const tagged = resource['@type'] === undefined ? { '@type': typeUrl, ...resource } : resource;
    if (tagged['@type'] !== typeUrl) throw new XdsError(`push ${typeUrl}: resources[${i}] has @type ${String(tagged['@type'])}`);
    const name = resourceName(resource);
    if (name === '') throw new XdsError(`push ${typeUrl}: resources[${i}] has no name`);
    if (packed.has(name)) throw new XdsError(`push ${typeUrl}: resource ${JSON.stringify(name)} appears twice`);
    try {
      const any = packAny(tagged);
      packed.set(name, { version: contentVersion(any), any });
    } catch (error) {
      throw new XdsError(`push ${typeUrl}: resource ${JSON.stringify(name)}: ${(error as Error).message}`);
    }
  });
  return packed;
}

export class DeltaAdsServer {
  readonly #handler: DeltaAdsServerHandler;
  readonly #streams = new Map<string, OpenStream>();
  #nextStream = 0;

  constructor(handler: DeltaAdsServerHandler) {
    this.#handler = handler;
  }

  /** Serves DeltaAggregatedResources on a gRPC server (AdsServer does this when given one). */
  addTo(server: grpc.Server): void {
    server.addService(deltaAdsServiceDefinition, {
      DeltaAggregatedResources: (call: DeltaCall) => this.#accept(call),
    });
  }

  /** Cuts every open stream (the gRPC server is closing). */
  closeStreams(): void {
    for (const id of [...this.#streams.keys()]) this.#closed(id);
  }

  streamIds(): string[] {
    return [...this.#streams.keys()];
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

  #send(stream: OpenStream, typeUrl: string, version: string, changes: DeltaChanges, packed: Map<string, PackedResource>): void {
    const nonce = randomUUID();
    stream.state = onDeltaServerResponse(stream.state, typeUrl, { nonce, version, changes });
    stream.call.write({
      system_version_info: version,
      type_url: typeUrl,
      nonce,
      resources: changes.updated.map(([name, v]) => ({ name, version: v, resource: packed.get(name)!.any })),
      removed_resources: changes.removed,
    });
  }

  #accept(call: DeltaCall): void {
    const id = `${call.getPeer()}#delta-${++this.#nextStream}`;
    this.#streams.set(id, { call, state: emptyDeltaServerStreamState(), opened: false });
    call.on('data', (request: DeltaDiscoveryRequest) => this.#request(id, request));
    call.on('end', () => {
      call.end();
      this.#closed(id);
    });
    call.on('error', () => this.#closed(id));
    call.on('cancelled', () => this.#closed(id));
    call.on('close', () => this.#closed(id));
  }

  #request(id: string, request: DeltaDiscoveryRequest): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    if (!stream.opened) {
      if (!request.node) return this.#fail(id, grpc.status.INVALID_ARGUMENT, 'the first DeltaDiscoveryRequest of a stream must carry node');
      stream.opened = true;
      if (!this.#call(id, () => this.#handler.onStreamOpen({ id, node: request.node as JsonObject, peer: stream.call.getPeer() }))) return;
    }
    const { state, decisions } = onDeltaServerRequest(stream.state, request);
    stream.state = state;
    for (const decision of decisions) if (!this.#decide(id, decision)) return;
  }

  #decide(id: string, decision: DeltaServerDecision): boolean {
    switch (decision.kind) {
      case 'subscribe':
        return this.#call(id, () => this.#handler.onSubscribe(id, decision.typeUrl, decision.subscription));
      case 'ack':
        return this.#call(id, () => this.#handler.onAck(id, decision.typeUrl, decision.version, decision.nonce));
      case 'nack':
        return this.#call(id, () => this.#handler.onNack(id, decision.typeUrl, decision.version, decision.nonce, decision.error));
      case 'stale':
        return true;
      case 'invalid':
        this.#fail(id, grpc.status.INVALID_ARGUMENT, decision.reason);
        return false;
    }
  }

  /** Runs a handler callback; if it throws, the stream ends with the reason instead of the process. */
  #call(id: string, callback: () => void): boolean {
    try {
      callback();
      return true;
    } catch (error) {
      this.#fail(id, grpc.status.INTERNAL, `control plane failed: ${(error as Error).message}`);
      return false;
    }
  }

  #fail(id: string, code: grpc.status, details: string): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#closed(id);
    stream.call.emit('error', { code, details });
  }

  #closed(id: string): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    this.#streams.delete(id);
    if (stream.opened) {
      try {
        this.#handler.onStreamClose(id);
      } catch {
        // The stream is gone either way; nothing is left to report the failure to.
      }
    }
  }
}
