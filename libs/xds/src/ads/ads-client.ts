// The client side of ADS (state of the world) over gRPC: subscribes per type, hands each
// response to the caller, ACKs or NACKs it, and reconnects with backoff when the stream ends.
import * as grpc from '@grpc/grpc-js';
import { unpackAny, type JsonObject } from '../json/codec.ts';
import type { DiscoveryRequest } from '../resources/discovery.ts';
import { adsMethodPath, channelOptions, serializeRequest, deserializeResponse, type WireResponse } from './ads-wire.ts';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.ts';
import { clientAcceptedOnOldStream, clientRespond, clientResume, clientSubscribe, emptyClientStreamState, type ClientStreamState } from './client-stream-state.ts';

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
}

type AdsStream = grpc.ClientDuplexStream<DiscoveryRequest, WireResponse>;

export class AdsClient {
  readonly #options: AdsClientOptions;
  readonly #client: grpc.Client;
  #state: ClientStreamState = emptyClientStreamState();
  #stream: AdsStream | undefined;
  #nodeSent = false;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** Responses are applied one at a time, in the order they arrive. */
  #applying: Promise<void> = Promise.resolve();

  constructor(options: AdsClientOptions) {
    this.#options = options;
    const backoff = options.backoff ?? defaultBackoff;
    // gRPC's own connection backoff (1 s to 120 s by default) would outlast ours; keep it in step.
    this.#client = new grpc.Client(options.target, options.credentials ?? grpc.credentials.createInsecure(), {
      ...channelOptions,
      'grpc.initial_reconnect_backoff_ms': backoff.initialMs,
      'grpc.max_reconnect_backoff_ms': backoff.maxMs,
    });
    this.#connect();
  }

  /** Asks for resources of a type (empty names: all of them, for LDS and CDS). */
  subscribe(typeUrl: string, resourceNames: string[]): void {
    const { state, request } = clientSubscribe(this.#state, typeUrl, resourceNames);
    this.#state = state;
    if (request) this.#send(request);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.cancel();
    this.#client.close();
  }

  #connect(): void {
    if (this.#closed) return;
    const stream = this.#client.makeBidiStreamRequest(adsMethodPath, serializeRequest, deserializeResponse);
    this.#stream = stream;
    this.#nodeSent = false;
    let ended = false;
    const onEnd = (reason: string) => {
      if (ended) return;
      ended = true;
      this.#lost(stream, reason);
    };
    stream.on('data', (response: WireResponse) => {
      this.#attempt = 0;
      this.#applying = this.#applying.then(() => this.#apply(stream, response));
    });
    stream.on('error', (error: grpc.ServiceError) => onEnd(`${grpc.status[error.code] ?? error.code}: ${error.details}`));
    stream.on('end', () => onEnd('the server ended the stream'));
    const { state, requests } = clientResume(this.#state);
    this.#state = state;
    for (const request of requests) this.#send(request);
  }

  #lost(stream: AdsStream, reason: string): void {
    if (this.#stream !== stream || this.#closed) return;
    this.#stream = undefined;
    stream.cancel();
    const delay = backoffDelay(this.#attempt++, Math.random(), this.#options.backoff ?? defaultBackoff);
    this.#report(`ADS stream to ${this.#options.target} lost (${reason}); reconnecting in ${delay} ms`);
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  #report(message: string): void {
    try {
      this.#options.onError?.(new Error(message));
    } catch {
      // A failing reporter must not stop the stream from recovering.
    }
  }

  #send(request: DiscoveryRequest): void {
    const stream = this.#stream;
    if (!stream) return; // the next stream resends every subscription
    const withNode = this.#nodeSent ? request : { ...request, node: this.#options.node };
    this.#nodeSent = true;
    stream.write(withNode);
  }

  async #apply(stream: AdsStream, response: WireResponse): Promise<void> {
    // A response still queued from a lost stream is dropped: the new stream resends the state.
    if (this.#stream !== stream || this.#closed) return;
    const error = await this.#validateAndApply(response);
    if (error !== undefined) {
      this.#report(`NACK ${response.type_url} version ${response.version_info}: ${error}`);
    }
    if (this.#stream !== stream) {
      // The stream was lost while the response was being applied.
      if (error === undefined) this.#state = clientAcceptedOnOldStream(this.#state, response.type_url, response.version_info);
      return;
    }
    const { state, request } = clientRespond(this.#state, response, error);
    this.#state = state;
    this.#send(request);
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
