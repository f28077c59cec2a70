import { connect, type Socket } from 'node:net';
import type { JsonObject } from '@mizzen/filters';
import { hostKey } from '../upstream/upstream-host.ts';
import type { UpstreamTransport } from './upstream-tls.ts';

/** What the matching needs of an endpoint. */
export interface MatchedEndpoint {
  readonly address: string;
  readonly port: number;
  /** Its `envoy.transport_socket_match` metadata. */
  readonly transportMatch?: JsonObject;
}

/** A compiled transport_socket_matches entry: its transport, undefined for plain TCP. */
export interface TransportChoice {
  readonly name: string;
  readonly match: JsonObject;
  readonly transport: UpstreamTransport | undefined;
}

/** Every key of `match` is in `metadata` with an equal value (an empty match takes anyone). */
function matches(match: JsonObject, metadata: JsonObject): boolean {
  return Object.entries(match).every(([key, value]) => JSON.stringify(metadata[key]) === JSON.stringify(value));
}

/**
 * A cluster's transport_socket_matches (Istio's auto mTLS: endpoints labelled tlsMode istio get
 * TLS, the others plain TCP): each connection uses the first match its endpoint's metadata
 * satisfies, else the cluster's own transport_socket, else plain TCP.
 */
export class MatchingTransport implements UpstreamTransport {
  private readonly choices: readonly TransportChoice[];
  private readonly fallback: UpstreamTransport | undefined;
  private metadata = new Map<string, JsonObject>();

  constructor(choices: readonly TransportChoice[], fallback: UpstreamTransport | undefined) {
    this.choices = choices;
    this.fallback = fallback;
  }

  get ready(): boolean {
    return this.choices.every((c) => c.transport?.ready ?? true) && (this.fallback?.ready ?? true);
  }

  /** Learns the endpoints' metadata (static endpoints, then each EDS update). */
  onEndpoints(endpoints: readonly MatchedEndpoint[]): void {
    this.metadata = new Map(endpoints.map((e) => [hostKey(e.address, e.port), e.transportMatch ?? {}]));
  }

  connect(options: { host: string; port: number; localAddress: string | undefined }): Socket {
    const metadata = this.metadata.get(hostKey(options.host, options.port)) ?? {};
    const choice = this.choices.find((c) => matches(c.match, metadata));
    const transport = choice ? choice.transport : this.fallback;
    return transport ? transport.connect(options) : connect({ host: options.host, port: options.port, localAddress: options.localAddress, noDelay: true });
  }
}
