import type { Socket } from 'node:net';
import { ConfigError } from '../config-error.ts';
import type { JsonObject } from '../config-reader.ts';
import type { StatsStore } from '../stats.ts';

/** What listener filters learn about a connection before its filter chain is chosen. */
export interface ConnectionInfo {
  /** "tls" when a ClientHello was seen, "raw_buffer" otherwise ("" until someone decides). */
  transportProtocol: string;
  /** SNI from the ClientHello, "" when none. */
  serverName: string;
  /** ALPN from the ClientHello, or what the HTTP inspector recognised ("http/1.1", "h2c"). */
  applicationProtocols: string[];
}

/** How an inspection ended: done, or the client was too slow or went away first. */
export type InspectOutcome = 'continue' | 'timeout' | 'closed';

/** A listener filter: looks at a freshly accepted connection, without consuming its bytes. */
export interface ListenerFilter {
  onAccept(socket: Socket, info: ConnectionInfo, timeoutMs: number): Promise<InspectOutcome>;
}

export type ListenerFilterFactory = (config: JsonObject, stats: StatsStore, path: string) => ListenerFilter;

const factories = new Map<string, ListenerFilterFactory>();

/** Registers a listener filter under the type URL of its config, as network and HTTP filters are. */
export function registerListenerFilter(typeUrl: string, factory: ListenerFilterFactory): void {
  factories.set(typeUrl, factory);
}

export function createListenerFilter(config: JsonObject, stats: StatsStore, path: string): ListenerFilter {
  const typeUrl = config['@type'];
  if (typeof typeUrl !== 'string') throw new ConfigError(path, 'missing "@type"');
  const factory = factories.get(typeUrl);
  if (!factory) throw new ConfigError(path, `unknown listener filter type "${typeUrl}" (known: ${[...factories.keys()].join(', ')})`);
  return factory(config, stats, path);
}
