import { arrayAt, dig, isObject, textAt, type JsonObject } from './json-reading.ts';
import { describeRouteMatch } from './routes-view.ts';

export interface ListenerFilter {
  port?: number;
  address?: string;
  /** HTTP, TCP or HTTP+TCP, any case. */
  type?: string;
}

export interface ListenerRow {
  addresses: string;
  port: string;
  match: string;
  destination: string;
}

export const listenerHeader = ['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION'];

const hcmName = 'envoy.filters.network.http_connection_manager';
const tcpProxyName = 'envoy.filters.network.tcp_proxy';

function socketAddress(address: unknown): { address: string; port: string } {
  const socket = dig(address, 'socket_address');
  if (socket) return { address: textAt(dig(socket, 'address')), port: textAt(dig(socket, 'port_value')) };
  const pipe = textAt(dig(address, 'pipe', 'path'));
  return { address: pipe, port: '' };
}

/** The listener's address and any additional ones, comma separated, as istioctl shows them. */
function listenerAddresses(listener: JsonObject): string {
  const extra = arrayAt(listener.additional_addresses, `Listener ${textAt(listener.name)}.additional_addresses`);
  return [socketAddress(listener.address).address, ...extra.map((a) => socketAddress(dig(a, 'address')).address)].join(',');
}

function filtersOf(chain: unknown): JsonObject[] {
  return arrayAt(dig(chain, 'filters'), 'filter_chains[].filters').filter(isObject);
}

/** The filter's kind, by its name or, failing that, its typed_config's type. */
function filterKind(filter: JsonObject): 'http' | 'tcp' | undefined {
  const type = textAt(dig(filter, 'typed_config', '@type'));
  if (filter.name === hcmName || type.endsWith('.HttpConnectionManager')) return 'http';
  if (filter.name === tcpProxyName || type.endsWith('.TcpProxy')) return 'tcp';
  return undefined;
}

/** What a filter chain's match selects, in istioctl's words ("ALL" when nothing). */
export function describeChainMatch(match: unknown): string {
  if (!isObject(match)) return 'ALL';
  const conditions: string[] = [];
  const serverNames = arrayAt(match.server_names, 'filter_chain_match.server_names').map(textAt);
  if (serverNames.length > 0) conditions.push(`SNI: ${serverNames.join(',')}`);
  if (textAt(match.transport_protocol)) conditions.push(`Trans: ${textAt(match.transport_protocol)}`);
  const protocols = arrayAt(match.application_protocols, 'filter_chain_match.application_protocols').map(textAt);
  if (protocols.length > 0) conditions.push(`App: ${protocols.join(',')}`);
  const ranges = arrayAt(match.prefix_ranges, 'filter_chain_match.prefix_ranges').map(
    (range) => `${textAt(dig(range, 'address_prefix'))}/${textAt(dig(range, 'prefix_len')) || '0'}`,
  );
  if (ranges.length > 0) conditions.push(`Addr: ${ranges.join(',')}`);
  if (match.destination_port !== undefined) conditions.push(`Port: ${textAt(match.destination_port)}`);
  return conditions.length > 0 ? conditions.join('; ') : 'ALL';
}

/** Where a filter chain sends traffic: its route config, inline routes, or cluster. */
export function describeChainDestination(chain: unknown): string {
  for (const filter of filtersOf(chain)) {
    const config = filter.typed_config;
    const kind = filterKind(filter);
    if (kind === 'tcp') {
      const cluster = textAt(dig(config, 'cluster'));
      // Istio's catch-all clusters read best bare, as istioctl prints them.
      if (cluster.endsWith('Cluster')) return cluster;
      if (cluster) return `Cluster: ${cluster}`;
      const weighted = arrayAt(dig(config, 'weighted_clusters', 'clusters'), 'TcpProxy.weighted_clusters.clusters');
      return `WeightedClusters: ${weighted.map((c) => `${textAt(dig(c, 'name'))}(${textAt(dig(c, 'weight'))})`).join(',')}`;
    }
    if (kind === 'http') {
      const rds = textAt(dig(config, 'rds', 'route_config_name'));
      if (rds) return `Route: ${rds}`;
      const routes = arrayAt(dig(config, 'route_config', 'virtual_hosts'), 'HttpConnectionManager.route_config.virtual_hosts').flatMap((host) =>
        arrayAt(dig(host, 'routes'), 'virtual_hosts[].routes'),
      );
      if (routes.length === 1) return `Inline Route: ${describeRouteMatch(dig(routes[0], 'match'))}`;
      return 'Inline Route';
    }
  }
  return 'Non-HTTP/Non-TCP';
}

/** HTTP, TCP or HTTP+TCP: what the listener's chains speak. */
export function listenerType(listener: JsonObject): string {
  const chains = [...arrayAt(listener.filter_chains, 'filter_chains'), ...(listener.default_filter_chain ? [listener.default_filter_chain] : [])];
  const kinds = new Set(chains.flatMap((chain) => filtersOf(chain).map(filterKind)));
  if (kinds.has('http') && kinds.has('tcp')) return 'HTTP+TCP';
  if (kinds.has('http')) return 'HTTP';
  if (kinds.has('tcp')) return 'TCP';
  return 'UNKNOWN';
}

export function selectListeners(listeners: JsonObject[], filter: ListenerFilter): JsonObject[] {
  return listeners.filter((listener) => {
    const { address, port } = socketAddress(listener.address);
    if (filter.port !== undefined && port !== String(filter.port)) return false;
    if (filter.address !== undefined && !listenerAddresses(listener).split(',').includes(filter.address) && address !== filter.address) return false;
    if (filter.type !== undefined && listenerType(listener) !== filter.type.toUpperCase()) return false;
    return true;
  });
}

/** One row per filter chain (the default chain last, matching ALL), listeners by port. */
export function listenerRows(listeners: JsonObject[], filter: ListenerFilter = {}): ListenerRow[] {
  const rows = selectListeners(listeners, filter).map((listener) => {
    const addresses = listenerAddresses(listener);
    const { port } = socketAddress(listener.address);
    const chains = arrayAt(listener.filter_chains, `Listener ${textAt(listener.name)}.filter_chains`);
    const described = chains.map((chain) => ({ addresses, port, match: describeChainMatch(dig(chain, 'filter_chain_match')), destination: describeChainDestination(chain) }));
    if (listener.default_filter_chain) described.push({ addresses, port, match: 'ALL', destination: describeChainDestination(listener.default_filter_chain) });
    return described;
  });
  return rows.flat().sort((a, b) => Number(a.port) - Number(b.port) || a.addresses.localeCompare(b.addresses));
}

export function listenerCells(row: ListenerRow): string[] {
  return [row.addresses, row.port, row.match, row.destination];
}
