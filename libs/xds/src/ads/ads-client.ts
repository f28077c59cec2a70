// The client side of ADS (state of the world) over gRPC: subscribes per type, hands each
// response to the caller, ACKs or NACKs it, and reconnects with backoff when the stream ends.
import type * as grpc from '@grpc/grpc-js';
import { unpackAny, type JsonObject } from '../json/codec.ts';
import type { DiscoveryRequest } from '../resources/discovery.ts';
import { adsMethodPath, serializeRequest, deserializeResponse, type WireResponse } from './ads-wire.ts';
import type { BackoffPolicy } from './backoff.ts';
import { clientAcceptedOnOldStream, clientRespond, clientResume, clientSubscribe, emptyClientStreamState, type ClientStreamState } from './client-stream-state.ts';
import { ReconnectingStream } from './reconnecting-stream.ts';

export interface AdsClientOptions {
  /** "host:port" of the ADS server. */
  target: string;
  /** The Node sent on the first request of each stream, in Envoy JSON. */
  node: JsonObject;
  /** Validates and applies a response; throw (or return an error string) to NACK it. */
  onResources: (typeUrl: string, resources: JsonObject[], version: string) => void | string | Promise<void | string>;
  /** Reports stream ends and NACKs; the client carries on by itself. */
  onError?: (error: Error) => void;
  backoff?: BackoffPolicy;
  /** Plaintext unless given (mutual TLS to istiod on 15012, for instance). */
  credentials?: grpc.ChannelCredentials;
  /** The same protocol on another service (SDS's StreamSecrets, say); ADS unless given. */
  methodPath?: string;
}

export class AdsClient {
  readonly #options: AdsClientOptions;
  readonly #stream: ReconnectingStream<DiscoveryRequest, WireResponse>;
  #state: ClientStreamState = emptyClientStreamState();

  constructor(options: AdsClientOptions) {
    this.#options = options;
    this.#stream = new ReconnectingStream({
      target: options.target,
      node: options.node,
      credentials: options.credentials,
      backoff: options.backoff,
      onError: options.onError,
      method: { path: options.methodPath ?? adsMethodPath, serialize: serializeRequest, deserialize: deserializeResponse },
      label: options.methodPath ?? 'ADS',
      resume: () => {
        // The new stream resends every subscription, with the versions last accepted.
        const { state, requests } = clientResume(this.#state);
        this.#state = state;
        return requests;
      },
      onResponse: (response, current) => this.#apply(response, current),
    });
  }

  /** Asks for resources of a type (empty names: all of them, for LDS and CDS). */
  subscribe(typeUrl: string, resourceNames: string[]): void {
    const { state, request } = clientSubscribe(this.#state, typeUrl, resourceNames);
    this.#state = state;
    if (request) this.#stream.send(request);
  }

  close(): void {
    this.#stream.close();
  }

  async #apply(response: WireResponse, current: () => boolean): Promise<void> {
    const error = await this.#validateAndApply(response);
    if (error !== undefined) {
      this.#stream.report(`NACK ${response.type_url} version ${response.version_info}: ${error}`);
    }
    if (!current()) {
      // The stream was lost while the response was being applied.
      if (error === undefined) this.#state = clientAcceptedOnOldStream(this.#state, response.type_url, response.version_info);
      return;
    }
    const { state, request } = clientRespond(this.#state, response, error);
    this.#state = state;
    this.#stream.send(request);
  }

  /** Unpacks and applies a response; returns the reason to NACK, if any. */
  async #validateAndApply(response: WireResponse): Promise<string | undefined> {
    try {
      const resources = response.resources.map((any, i) => {
        if (any.type_url !== response.type_url) {
          throw new Error(`resources[${i}] is a ${any.type_url}, not a ${response.type_url}`);
        }
        try {
          return unpackAny(any);
        } catch (error) {
          throw new Error(`resources[${i}]: ${(error as Error).message}`);
        }
      });
      const result = await this.#options.onResources(response.type_url, resources, response.version_info);
      return typeof result === 'string' && result !== '' ? result : undefined;
    } catch (error) {
      return (error as Error).message || String(error);
    }
  }
}
