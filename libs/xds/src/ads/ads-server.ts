// The server side of ADS (state of the world) over gRPC. It keeps per-stream versions and
// nonces and tells its handler what each request means; the handler decides what to send.
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { JsonObject } from '../json/codec.ts';
import type { DiscoveryRequest } from '../resources/discovery.ts';
import { resourceName } from '../resources/type-url.ts';
import { XdsError } from '../xds-error.ts';
import { adsServiceDefinition, channelOptions, type WireResponse } from './ads-wire.ts';
import type { DeltaAdsServer } from './delta-ads-server.ts';
import { encodePushed } from './pushed-resource.ts';
import { emptyServerStreamState, onServerRequest, onServerResponse, type ServerDecision, type ServerStreamState } from './server-stream-state.ts';
import { ServerStreams, wroteResponse, type AdsStreamInfo, type StreamHandler } from './server-streams.ts';

export interface AdsServerOptions {
  address: string;
}

export interface AdsServerExtras {
  /** Also serve delta xDS (DeltaAggregatedResources) on the same port, as Envoy may use either. */
  delta?: DeltaAdsServer;
}

export type { AdsStreamInfo };

export interface AdsServerHandler extends StreamHandler {
  /**
   * A first request for a type, or changed resource_names; answer with push(). knownVersion
   * is the version the client already has ("" on its first stream, its last ACK after a reconnect).
   */
  onSubscribe(streamId: string, typeUrl: string, resourceNames: string[], knownVersion: string): void;
}

type AdsCall = grpc.ServerDuplexStream<DiscoveryRequest, WireResponse>;
type SubscribeDecision = Extract<ServerDecision, { kind: 'subscribe' }>;

export class AdsServer {
  readonly #delta: DeltaAdsServer | undefined;
  readonly #streams: ServerStreams<DiscoveryRequest, WireResponse, ServerStreamState, SubscribeDecision>;
  #server: grpc.Server | undefined;

  constructor(handler: AdsServerHandler, extras: AdsServerExtras = {}) {
    this.#delta = extras.delta;
    this.#streams = new ServerStreams(handler, {
      idMark: '#',
      requestName: 'DiscoveryRequest',
      emptyState: emptyServerStreamState,
      onRequest: onServerRequest,
      onSubscribe: (id, decision: SubscribeDecision) => handler.onSubscribe(id, decision.typeUrl, decision.resourceNames, decision.knownVersion),
    });
  }

  /**
   * Starts serving on "host:port" (port 0 picks a free one); resolves to the bound port.
   * Plaintext unless credentials are given (mutual TLS on 15012, for instance).
   */
  listen(address: string, credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    if (this.#server) return Promise.reject(new XdsError('AdsServer: already listening'));
    const server = new grpc.Server(channelOptions);
    server.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: AdsCall) => this.#streams.accept(call),
    });
    this.#delta?.addTo(server);
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.bindAsync(address, credentials, (error, port) => {
        if (error) {
          this.#server = undefined;
          reject(new XdsError(`AdsServer: cannot listen on ${address}: ${error.message}`));
        } else resolve(port);
      });
    });
  }

  /** Stops serving; open streams are cut, and their clients will reconnect elsewhere or later. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    this.#streams.closeAll();
    this.#delta?.closeStreams();
    server.forceShutdown();
  }

  /** The ids of the streams open now. */
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

  /** What a stream was sent and has accepted, per type URL (for proxy-status and syncz). */
  streamState(streamId: string): ServerStreamState | undefined {
    return this.#streams.get(streamId)?.state;
  }

  /**
   * Sends the resources of one type to one stream, with a new nonce. Resources are Envoy JSON
   * with "@type"; a bad one throws XdsError naming it. Returns false when the stream is gone.
   * Each resource object is encoded once and its bytes reused for every stream it goes to, so
   * an object must not be changed once pushed (build a new one).
   */
  push(streamId: string, typeUrl: string, resources: JsonObject[], version: string): boolean {
    const stream = this.#streams.get(streamId);
    if (!stream) return false;
    const packed = resources.map((resource, i) => encodePushed(typeUrl, resource, i, resourceName(resource)).any);
    const nonce = randomUUID();
    stream.state = onServerResponse(stream.state, typeUrl, version, nonce);
    stream.call.write({ version_info: version, type_url: typeUrl, nonce, resources: packed });
    wroteResponse(stream);
    return true;
  }
}
