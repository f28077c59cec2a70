import type { Socket } from 'node:net';
import type { ClusterManager } from './cluster-manager.ts';
import type { JsonObject } from './config-reader.ts';
import { ConfigError } from './config-error.ts';
import type { HeaderList } from './http1/headers.ts';
import type { HttpStream } from './http-stream.ts';
import type { StatsStore } from './stats.ts';
import type { RouteConfigProvider } from './network/http-connection-manager/route-config-provider.ts';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the proxy lends to filter factories. Everything a filter needs from the proxy comes
 *  through here, so the filters never import the proxy. */
export interface FilterFactoryContext {
  readonly clusterManager: ClusterManager;
  readonly stats: StatsStore;
  /** Route configurations by name, for HTTP connection managers that use RDS. */
  readonly routeConfigs: RouteConfigProvider;
  readonly log: Logger;
}

/** An accepted downstream connection after the filter chain match. */
export interface DownstreamConnection {
  readonly socket: Socket;
  /** The destination the client meant (the socket's local address, or the captured original). */
  readonly originalDstAddress: string;
  readonly originalDstPort: number;
}

/** A terminal network filter: it owns the connection from here on. */
export interface NetworkFilter {
  onNewConnection(connection: DownstreamConnection): void;
  /** The listener that built this filter is going away: finish what is in flight and close. */
  drain(): void;
}

/** `next` is the rest of the chain, for a filter registered as non-terminal (connection_limit). */
export type NetworkFilterFactory = (config: JsonObject, context: FilterFactoryContext, path: string, next: NetworkFilter | undefined) => NetworkFilter;

export type FilterStatus = 'continue' | 'stop';

/** One request's instance of an HTTP filter. */
export interface HttpFilter {
  decodeHeaders(stream: HttpStream, endStream: boolean): FilterStatus;
  decodeData(stream: HttpStream, data: Buffer, endStream: boolean): FilterStatus;
  /** Optional: sees (and may change) the response headers before they are written. */
  encodeHeaders?(stream: HttpStream, status: number, headers: HeaderList): void;
  /** The downstream socket drained after a write that returned false. */
  onDownstreamDrain(stream: HttpStream): void;
  /** The stream ended or was reset: release whatever the filter holds. */
  onDestroy(stream: HttpStream): void;
}

export interface HttpFilterConfig {
  /** A terminal filter (the router) answers the request and must come last. */
  readonly terminal: boolean;
  createFilter(): HttpFilter;
}

/** Where an HTTP filter sits: its name in the connection manager (routes key their
 *  typed_per_filter_config by it) and the connection manager's stat prefix. */
export interface HttpFilterPlacement {
  readonly name: string;
  readonly statPrefix: string;
}

export type HttpFilterFactory = (config: JsonObject, context: FilterFactoryContext, path: string, placement: HttpFilterPlacement) => HttpFilterConfig;

/** Checks a filter's per-route config (typed_per_filter_config) and compiles it. */
export type PerRouteConfigParser = (config: JsonObject, path: string) => unknown;

const networkFilters = new Map<string, NetworkFilterFactory>();
/** Network filters that hand the connection on instead of owning it. */
const nonTerminalNetworkFilters = new Set<string>();
const httpFilters = new Map<string, HttpFilterFactory>();
const perRouteParsers = new Map<string, PerRouteConfigParser>();

/** Registers a network filter under the type URL of its config (as grpc-js registers load
 *  balancers), so adding a filter never touches a central switch. */
export function registerNetworkFilter(typeUrl: string, factory: NetworkFilterFactory, terminal = true): void {
  networkFilters.set(typeUrl, factory);
  if (!terminal) nonTerminalNetworkFilters.add(typeUrl);
}

export function registerHttpFilter(typeUrl: string, factory: HttpFilterFactory): void {
  httpFilters.set(typeUrl, factory);
}

/** Registers the parser of a filter's per-route config type, so routes can carry it. */
export function registerPerRouteConfig(typeUrl: string, parser: PerRouteConfigParser): void {
  perRouteParsers.set(typeUrl, parser);
}

export function parsePerRouteConfig(config: JsonObject, path: string): unknown {
  const typeUrl = typeUrlOf(config, path);
  const parser = perRouteParsers.get(typeUrl);
  if (!parser) throw new ConfigError(path, `unknown per-route filter config type "${typeUrl}" (known: ${[...perRouteParsers.keys()].join(', ')})`);
  return parser(config, path);
}

function typeUrlOf(config: JsonObject, path: string): string {
  const typeUrl = config['@type'];
  if (typeof typeUrl !== 'string') throw new ConfigError(path, 'missing "@type"');
  return typeUrl;
}

/** Builds a network filter; `next` is the filter after it in the chain (undefined for the last,
 *  which must be terminal). */
export function createNetworkFilter(config: JsonObject, context: FilterFactoryContext, path: string, next?: NetworkFilter): NetworkFilter {
  const typeUrl = typeUrlOf(config, path);
  const factory = networkFilters.get(typeUrl);
  if (!factory) throw new ConfigError(path, `unknown network filter type "${typeUrl}" (known: ${[...networkFilters.keys()].join(', ')})`);
  const terminal = !nonTerminalNetworkFilters.has(typeUrl);
  if (terminal && next !== undefined) throw new ConfigError(path, `"${typeUrl}" is a terminal filter and must be the last in its chain`);
  if (!terminal && next === undefined) throw new ConfigError(path, `"${typeUrl}" is not a terminal filter: a terminal one (http_connection_manager, tcp_proxy) must follow it`);
  return factory(config, context, path, next);
}

export function createHttpFilterConfig(config: JsonObject, context: FilterFactoryContext, path: string, placement: HttpFilterPlacement): HttpFilterConfig {
  const typeUrl = typeUrlOf(config, path);
  const factory = httpFilters.get(typeUrl);
  if (!factory) throw new ConfigError(path, `unknown HTTP filter type "${typeUrl}" (known: ${[...httpFilters.keys()].join(', ')})`);
  return factory(config, context, path, placement);
}
