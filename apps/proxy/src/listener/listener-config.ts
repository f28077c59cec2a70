import {
  ConfigError, asObject, createListenerFilter, createNetworkFilter, onlyFields, optionalDurationMs, type ListenerFilter, optionalArray, optionalBoolean, optionalObject, optionalString, requiredString,
  oneOf, type FilterFactoryContext, type JsonObject, type NetworkFilter,
} from '@mizzen/filters';
import { DownstreamTls } from '../tls/downstream-tls.ts';
import type { SecretProvider } from '../tls/secret-store.ts';
import { tlsStats } from '../tls/tls-stats.ts';
import { compileDownstreamTransport } from '../tls/transport-socket.ts';
import { readSocketAddress } from '../upstream/cluster-config.ts';
import { compileChainMatch, type ChainMatch } from './filter-chain-match.ts';
import { compileFilterDisabled, type ListenerFilterPredicate } from './listener-filter-predicate.ts';

export interface FilterChain {
  readonly name: string;
  readonly match: ChainMatch;
  readonly filter: NetworkFilter;
  /** TLS to terminate before the filter sees the connection (transport_socket). */
  readonly tls: DownstreamTls | undefined;
}

/** What TLS transport sockets need beyond the filter context. */
export interface TransportContext {
  readonly secrets: SecretProvider;
  /** The listener's stat prefix, "listener.ADDRESS_PORT." */
  readonly statPrefix: string;
}

/** A listener filter and the connections it is turned off for. */
export interface Inspector {
  readonly filter: ListenerFilter;
  readonly disabled: ListenerFilterPredicate;
}

/** A Listener resource, checked, with its filters built. */
export interface ListenerConfig {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly bindToPort: boolean;
  readonly useOriginalDst: boolean;
  /** Read the connection's pre-redirect destination (use_original_dst or the original_dst filter). */
  readonly readsOriginalDst: boolean;
  /** tls_inspector, http_inspector: they run, in order, before the filter chain is chosen,
   *  each unless its `filter_disabled` matches the connection. */
  readonly inspectors: Inspector[];
  /** listener_filters_timeout (0: none), and whether to go on (or close) when it passes. */
  readonly inspectTimeoutMs: number;
  readonly continueOnInspectTimeout: boolean;
  readonly chains: FilterChain[];
  readonly defaultChain: FilterChain | undefined;
  readonly json: JsonObject;
}

const ORIGINAL_DST_FILTER = 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst';

function compileChain(value: unknown, path: string, context: FilterFactoryContext, transport: TransportContext): FilterChain {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['name', 'filter_chain_match', 'filters', 'transport_socket']);
  const tlsConfig = compileDownstreamTransport(obj.transport_socket, `${path}.transport_socket`);
  const tls = tlsConfig && new DownstreamTls(tlsConfig, transport.secrets, tlsStats(context.stats, transport.statPrefix), context.log, `${path}.transport_socket`);
  const filters = optionalArray(obj, 'filters', path);
  if (filters.length === 0) throw new ConfigError(`${path}.filters`, 'at least one (terminal) network filter is required');
  // Built from the terminal filter back: each earlier filter hands the connection to the next.
  let filter: NetworkFilter | undefined;
  for (let i = filters.length - 1; i >= 0; i--) {
    const fpath = `${path}.filters[${i}]`;
    const f = asObject(filters[i], fpath);
    onlyFields(f, fpath, ['name', 'typed_config']);
    requiredString(f, 'name', fpath);
    const typed = optionalObject(f, 'typed_config', fpath);
    if (!typed) throw new ConfigError(`${fpath}.typed_config`, 'required');
    filter = createNetworkFilter(typed, context, `${fpath}.typed_config`, filter);
  }
  return {
    name: optionalString(obj, 'name', path) ?? '',
    match: compileChainMatch(obj.filter_chain_match, `${path}.filter_chain_match`),
    filter: filter as NetworkFilter,
    tls,
  };
}

/** Checks a Listener (Envoy JSON) and builds its filters; throws a ConfigError naming the field. */
export function compileListener(json: unknown, context: FilterFactoryContext, secrets: SecretProvider, path = 'Listener'): ListenerConfig {
  const obj = asObject(json, path);
  // traffic_direction only labels the listener.
  onlyFields(obj, path, ['@type', 'name', 'address', 'filter_chains', 'default_filter_chain', 'use_original_dst', 'bind_to_port',
    'listener_filters', 'traffic_direction', 'continue_on_listener_filters_timeout', 'listener_filters_timeout']);
  const name = requiredString(obj, 'name', path);
  oneOf(obj, 'traffic_direction', path, ['UNSPECIFIED', 'INBOUND', 'OUTBOUND'], 'UNSPECIFIED');
  let originalDstFilter = false;
  const inspectors: Inspector[] = [];
  optionalArray(obj, 'listener_filters', path).forEach((lf, i) => {
    const lpath = `${path}.listener_filters[${i}]`;
    const l = asObject(lf, lpath);
    onlyFields(l, lpath, ['name', 'typed_config', 'filter_disabled']);
    const typed = optionalObject(l, 'typed_config', lpath);
    if (!typed) throw new ConfigError(`${lpath}.typed_config`, 'required');
    const disabled = compileFilterDisabled(l, lpath);
    // original_dst recovers the pre-redirect destination (SO_ORIGINAL_DST) as the connection is
    // accepted; the destination port is what the other filters' filter_disabled looks at.
    if (typed['@type'] === ORIGINAL_DST_FILTER) {
      if (l.filter_disabled !== undefined) throw new ConfigError(`${lpath}.filter_disabled`, 'not supported on original_dst, which runs before the destination is known');
      originalDstFilter = true;
    } else inspectors.push({ filter: createListenerFilter(typed, context.stats, `${lpath}.typed_config`), disabled });
  });
  const { address, port } = readSocketAddress(obj.address, `${path}.address`);
  const useOriginalDst = optionalBoolean(obj, 'use_original_dst', path) ?? false;
  const transport: TransportContext = { secrets, statPrefix: `listener.${address}_${port}.` };
  const chains = optionalArray(obj, 'filter_chains', path).map((c, i) => compileChain(c, `${path}.filter_chains[${i}]`, context, transport));
  const defaultJson = optionalObject(obj, 'default_filter_chain', path);
  const defaultChain = defaultJson ? compileChain(defaultJson, `${path}.default_filter_chain`, context, transport) : undefined;
  if (chains.length === 0 && !defaultChain) throw new ConfigError(`${path}.filter_chains`, 'a listener needs a filter chain or a default_filter_chain');
  return {
    name,
    address,
    port,
    bindToPort: optionalBoolean(obj, 'bind_to_port', path) ?? true,
    useOriginalDst,
    readsOriginalDst: useOriginalDst || originalDstFilter,
    inspectors,
    // Envoy's default: 15 s.
    inspectTimeoutMs: optionalDurationMs(obj, 'listener_filters_timeout', path) ?? 15_000,
    continueOnInspectTimeout: optionalBoolean(obj, 'continue_on_listener_filters_timeout', path) ?? false,
    chains,
    defaultChain,
    json: obj,
  };
}
