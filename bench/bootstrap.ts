/**
 * Writes an Envoy v3 bootstrap (JSON, on stdout) for the benchmarks: one listener on
 * 127.0.0.1, one STATIC cluster, and the proxy's real HTTP chain (connection manager with
 * route matching and x-request-id, router, stats) or tcp_proxy.
 *
 *   node bench/bootstrap.ts --listen PORT --upstream PORT --admin PORT
 *        [--mode http|tcp] [--vhosts N] [--routes M] [--cluster NAME]
 *
 * With --vhosts/--routes the route configuration holds N virtual hosts of M routes each,
 * shaped as istiod shapes a sidecar's outbound routes (FQDN, FQDN:PORT, short names, VIP and
 * VIP:PORT as domains; prefix, exact path and header matches). Only the last route of the last
 * virtual host leads to the upstream: `lastHost` and `lastPath` (printed on stderr as
 * `host=... path=...`) are what a request must carry to match it.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    upstream: { type: 'string' },
    admin: { type: 'string' },
    mode: { type: 'string', default: 'http' },
    vhosts: { type: 'string', default: '1' },
    routes: { type: 'string', default: '1' },
    cluster: { type: 'string', default: 'upstream' },
  },
});

function port(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`--${name}: a port number is required, got "${value ?? ''}"`);
  return n;
}

function count(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: a positive integer is required, got "${value}"`);
  return n;
}

const listen = port('listen', values.listen);
const upstream = port('upstream', values.upstream);
const admin = port('admin', values.admin);
const vhosts = count('vhosts', values.vhosts);
const routesPerHost = count('routes', values.routes);
const cluster = values.cluster;
const SERVICE_PORT = 8080;

/** The i-th service's names, as istiod lists them for a virtual host. */
function domains(i: number): string[] {
  const name = `svc-${i}`;
  const fqdn = `${name}.bench.svc.cluster.local`;
  const vip = `10.96.${(i >> 8) & 255}.${i & 255}`;
  return [fqdn, `${fqdn}:${SERVICE_PORT}`, name, `${name}:${SERVICE_PORT}`, `${name}.bench`, `${name}.bench:${SERVICE_PORT}`, vip, `${vip}:${SERVICE_PORT}`];
}

/** Route j of a virtual host: a mix of the match kinds VirtualServices produce. */
function route(i: number, j: number, last: boolean): object {
  const path = `/api/v${j}/items`;
  const kind = j % 3;
  const match = kind === 0 ? { prefix: path } : kind === 1 ? { path } : { prefix: path, headers: [{ name: 'x-version', present_match: false }] };
  return { name: `svc-${i}-r${j}`, match, route: { cluster: last ? cluster : 'BlackHoleCluster', timeout: '15s' } };
}

function routeConfig(): object {
  if (vhosts === 1 && routesPerHost === 1) {
    return { name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] };
  }
  const virtualHosts = [];
  for (let i = 0; i < vhosts; i++) {
    const routes = [];
    for (let j = 0; j < routesPerHost; j++) routes.push(route(i, j, i === vhosts - 1 && j === routesPerHost - 1));
    virtualHosts.push({ name: `svc-${i}.bench.svc.cluster.local:${SERVICE_PORT}`, domains: domains(i), routes });
  }
  return { name: String(SERVICE_PORT), virtual_hosts: virtualHosts };
}

const httpFilter = {
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: 'bench',
    route_config: routeConfig(),
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
  },
};
const tcpFilter = {
  name: 'envoy.filters.network.tcp_proxy',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'bench', cluster },
};
if (values.mode !== 'http' && values.mode !== 'tcp') throw new Error(`--mode: http or tcp, got "${values.mode}"`);

const address = (p: number) => ({ socket_address: { address: '127.0.0.1', port_value: p } });
const clusters: object[] = [{
  name: cluster,
  type: 'STATIC',
  connect_timeout: '1s',
  load_assignment: { cluster_name: cluster, endpoints: [{ lb_endpoints: [{ endpoint: { address: address(upstream) } }] }] },
}];
if (vhosts > 1 || routesPerHost > 1) clusters.push({ name: 'BlackHoleCluster', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'BlackHoleCluster' } });

const bootstrap = {
  admin: { address: address(admin) },
  static_resources: {
    listeners: [{ name: 'bench', address: address(listen), filter_chains: [{ filters: [values.mode === 'http' ? httpFilter : tcpFilter] }] }],
    clusters,
  },
};
process.stdout.write(`${JSON.stringify(bootstrap)}\n`);
if (vhosts > 1 || routesPerHost > 1) {
  process.stderr.write(`host=svc-${vhosts - 1}.bench.svc.cluster.local:${SERVICE_PORT} path=/api/v${routesPerHost - 1}/items\n`);
}
