// The client side of delta (incremental) ADS over gRPC: subscribes per type by name, keeps the
// resources it accepted with their versions, hands the caller the full current set after each
// update, ACKs or NACKs it, and reconnects with backoff telling the server what it holds.
import type * as grpc from '@grpc/grpc-js';
import { unpackAny, type JsonObject } from '../json/codec.ts';
import type { DeltaDiscoveryRequest } from '../resources/discovery.ts';
import { resourceName } from '../resources/type-url.ts';
import type { BackoffPolicy } from './backoff.ts';
import {
  deltaClientAccept,
  deltaClientApply,
  deltaClientReply,
  deltaClientResume,
  deltaClientSubscribe,
  deltaClientUnsubscribe,
  emptyDeltaClientStreamState,
  type DeltaClientStreamState,
  type DeltaUpdate,
  type HeldResource,
} from './delta-client-state.ts';
import { deltaAdsMethodPath, deserializeDeltaResponse, serializeDeltaRequest, type WireDeltaResponse } from './delta-wire.ts';
import { ReconnectingStream } from './reconnecting-stream.ts';

/** What one accepted response changed. */
export interface DeltaResourceChanges {
  /** Resources added or replaced. */
  updated: JsonObject[];
  /** Names the server removed, or said do not exist. */
  removed: string[];
}

export interface DeltaAdsClientOptions {
  /** "host:port" of the ADS server. */
  target: string;
  /** The Node sent on the first request of each stream, in Envoy JSON. */
  node: JsonObject;
  /**
   * Validates and applies an update: resources is the type's full set after it, version the
   * response's system_version_info. Throw (or return an error string) to NACK; the client then
   * keeps its last good set.
   */
  onResources: (
    typeUrl: string,
    resources: JsonObject[],
    version: string,
    changes: DeltaResourceChanges,
  ) => void | string | Promise<void | string>;
  /** Reports stream ends and NACKs; the client carries on by itself. */
  onError?: (error: Error) => void;
  backoff?: BackoffPolicy;
  /** Plaintext unless given (mutual TLS to istiod on 15012, for instance). */
  credentials?: grpc.ChannelCredentials;
  /** The same protocol on another service (SDS's DeltaSecrets, say); delta ADS unless given. */
  methodPath?: string;
}

/** Unpacks a response's resources; throws naming the first that is not of its type or does not decode. */
function unpackUpdate(response: WireDeltaResponse): DeltaUpdate {
  const resources = response.resources.map(({ name, version, resource: any }, i) => {
    const where = `resources[${i}] (${JSON.stringify(name)})`;
    if (name === '') throw new Error(`resources[${i}] has no name`);
    if (any.type_url !== response.type_url) throw new Error(`${where} is a ${any.type_url}, not a ${response.type_url}`);
    let resource: JsonObject;
    try {
      resource = unpackAny(any);
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
    const own = resourceName(resource);
    if (own !== '' && own !== name) throw new Error(`${where} names itself ${JSON.stringify(own)}`);
    return { name, version, resource };
  });
  return { resources, removed: response.removed_resources };
}

export class DeltaAdsClient {
  readonly #options: DeltaAdsClientOptions;
  readonly #stream: ReconnectingStream<DeltaDiscoveryRequest, WireDeltaResponse>;
  #state: DeltaClientStreamState = emptyDeltaClientStreamState();

  constructor(options: DeltaAdsClientOptions) {
    this.#options = options;
    this.#stream = new ReconnectingStream({
      target: options.target,
      node: options.node,
      credentials: options.credentials,
      backoff: options.backoff,
      onError: options.onError,
      method: { path: options.methodPath ?? deltaAdsMethodPath, serialize: serializeDeltaRequest, deserialize: deserializeDeltaResponse },
      label: options.methodPath ?? 'delta ADS',
      // The new stream resubscribes, telling the server which versions the client holds.
      resume: () => deltaClientResume(this.#state),
      onResponse: (response, current) => this.#apply(response, current),
    });
  }

  /**
   * Sets the names asked for of a type: "*" for all, or no names for all of LDS and CDS.
   * Only the difference from the last call is sent.
   */
  subscribe(typeUrl: string, resourceNames: string[]): void {
    const { state, request } = deltaClientSubscribe(this.#state, typeUrl, resourceNames);
    this.#state = state;
    if (request) this.#stream.send(request);
  }

  /** Stops asking for some names of a type ("*" ends a wildcard); their resources are dropped. */
  unsubscribe(typeUrl: string, resourceNames: string[]): void {
    const { state, request } = deltaClientUnsubscribe(this.#state, typeUrl, resourceNames);
    this.#state = state;
    if (request) this.#stream.send(request);
  }

  /** The resources of a type the client holds now. */
  resources(typeUrl: string): JsonObject[] {
    return [...(this.#state.types.get(typeUrl)?.resources.values() ?? [])].map((held) => held.resource);
  }

  close(): void {
    this.#stream.close();
  }

  async #apply(response: WireDeltaResponse, current: () => boolean): Promise<void> {
    const typeUrl = response.type_url;
    const outcome = await this.#validateAndApply(response);
    if (typeof outcome === 'string') {
      this.#stream.report(`NACK ${typeUrl} version ${response.system_version_info}: ${outcome}`);
    } else {
      // Kept even if the stream was lost meanwhile: the client holds what it applied.
      this.#state = deltaClientAccept(this.#state, typeUrl, outcome, response.system_version_info);
    }
    if (!current()) return;
    this.#stream.send(deltaClientReply(typeUrl, response.nonce, typeof outcome === 'string' ? outcome : undefined));
  }

  /** Unpacks and applies a response; returns the new set, or the reason to NACK. */
  async #validateAndApply(response: WireDeltaResponse): Promise<ReadonlyMap<string, HeldResource> | string> {
    try {
      const update = unpackUpdate(response);
      const next = deltaClientApply(this.#state, response.type_url, update);
      const resources = [...next.values()].map((held) => held.resource);
      const changes = { updated: update.resources.map((r) => r.resource), removed: update.removed };
      const result = await this.#options.onResources(response.type_url, resources, response.system_version_info, changes);
      if (typeof result === 'string' && result !== '') return result;
      return next;
    } catch (error) {
      return (error as Error).message || String(error);
    }
  }
}
