// Envoy JSON builders for test bootstraps and xDS resources.
type Json = { [key: string]: unknown };

export const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
export const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

export function address(port: number, host = '127.0.0.1'): Json {
  return { socket_address: { address: host, port_value: port } };
}

export function httpFilter(statPrefix: string, routes: { route_config: Json } | { rds: Json }): Json {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: { '@type': HCM, stat_prefix: statPrefix, ...routes, http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }] },
  };
}

export function tcpFilter(statPrefix: string, cluster: string): Json {
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY, stat_prefix: statPrefix, cluster } };
}

export function listener(name: string, port: number, filters: Json[], extra: Json = {}): Json {
  return { name, address: address(port), filter_chains: [{ filters }], ...extra };
}

export function staticCluster(name: string, endpoints: { host?: string; port: number }[], extra: Json = {}): Json {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: endpoints.map((e) => ({ endpoint: { address: address(e.port, e.host) } })) }] },
    ...extra,
  };
}

export function routeConfig(name: string, routes: Json[], domains = ['*']): Json {
  return { name, virtual_hosts: [{ name: 'vh', domains, routes }] };
}
