import {
  ConfigError, asObject, onlyFields, optionalArray, optionalDurationMs, optionalInteger, optionalObject, optionalString,
  requiredString, oneOf, type JsonObject,
} from '@mizzen/filters';

export type ClusterType = 'STATIC' | 'EDS' | 'ORIGINAL_DST';
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'CLUSTER_PROVIDED';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly priority: number;
}

/** A Cluster resource, checked and reduced to what the proxy acts on. */
export interface ClusterConfig {
  readonly name: string;
  readonly type: ClusterType;
  readonly lbPolicy: LbPolicy;
  readonly connectTimeoutMs: number;
  /** The ClusterLoadAssignment name EDS asks for. */
  readonly edsServiceName: string;
  /** STATIC clusters: their endpoints. */
  readonly endpoints: Endpoint[];
  /** Local address upstream connections bind to (upstream_bind_config). */
  readonly sourceAddress: string | undefined;
  /** TCP keepalive idle time in seconds (upstream_connection_options), 0 when off. */
  readonly keepaliveSeconds: number;
  /** The resource as received, for /config_dump. */
  readonly json: JsonObject;
}

// Envoy's default connect timeout.
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

function socketAddress(value: unknown, path: string): { address: string; port: number } {
  const address = asObject(value, path);
  onlyFields(address, path, ['socket_address']);
  const sa = optionalObject(address, 'socket_address', path);
  if (!sa) throw new ConfigError(`${path}.socket_address`, 'required (pipe addresses are not supported)');
  const spath = `${path}.socket_address`;
  onlyFields(sa, spath, ['address', 'port_value', 'protocol']);
  oneOf(sa, 'protocol', spath, ['TCP'], 'TCP');
  return { address: requiredString(sa, 'address', spath), port: optionalInteger(sa, 'port_value', spath, 0, 65535) ?? 0 };
}

export { socketAddress as readSocketAddress };

/** The healthy endpoints of a ClusterLoadAssignment (unhealthy, draining and timed-out ones are left out). */
export function compileLoadAssignment(json: unknown, path = 'ClusterLoadAssignment'): { clusterName: string; endpoints: Endpoint[] } {
  const cla = asObject(json, path);
  // policy only tunes overprovisioning and drop overloads, which a single-locality first cut does not use.
  onlyFields(cla, path, ['@type', 'cluster_name', 'endpoints', 'policy']);
  const endpoints: Endpoint[] = [];
  optionalArray(cla, 'endpoints', path).forEach((l, i) => {
    const lpath = `${path}.endpoints[${i}]`;
    const locality = asObject(l, lpath);
    onlyFields(locality, lpath, ['locality', 'lb_endpoints', 'load_balancing_weight', 'priority']);
    const priority = optionalInteger(locality, 'priority', lpath) ?? 0;
    optionalArray(locality, 'lb_endpoints', lpath).forEach((e, j) => {
      const epath = `${lpath}.lb_endpoints[${j}]`;
      const lbEndpoint = asObject(e, epath);
      onlyFields(lbEndpoint, epath, ['endpoint', 'health_status', 'load_balancing_weight', 'metadata']);
      const endpoint = asObject(lbEndpoint.endpoint, `${epath}.endpoint`);
      onlyFields(endpoint, `${epath}.endpoint`, ['address', 'hostname']);
      const { address, port } = socketAddress(endpoint.address, `${epath}.endpoint.address`);
      const health = oneOf(lbEndpoint, 'health_status', epath, ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'], 'UNKNOWN');
      if (health === 'UNHEALTHY' || health === 'DRAINING' || health === 'TIMEOUT') return;
      endpoints.push({ address, port, weight: optionalInteger(lbEndpoint, 'load_balancing_weight', epath, 1, 128) ?? 1, priority });
    });
  });
  return { clusterName: requiredString(cla, 'cluster_name', path), endpoints };
}

function checkProtocolOptions(obj: JsonObject, path: string): void {
  // The data path speaks HTTP/1.1 upstream in this cut; HTTP/2 options are accepted so that the
  // xds-grpc and gRPC service clusters load, and used by the ADS client, not the router.
  const options = optionalObject(obj, 'typed_extension_protocol_options', path);
  if (!options) return;
  for (const [key, value] of Object.entries(options)) {
    const opath = `${path}.typed_extension_protocol_options.${key}`;
    const o = asObject(value, opath);
    if (o['@type'] !== 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions') {
      throw new ConfigError(`${opath}.@type`, `unsupported protocol options "${String(o['@type'])}"`);
    }
  }
}

/** Checks a Cluster (Envoy JSON); throws a ConfigError naming the field. */
export function compileCluster(json: unknown, path = 'Cluster'): ClusterConfig {
  const obj = asObject(json, path);
  onlyFields(obj, path, ['@type', 'name', 'type', 'connect_timeout', 'lb_policy', 'load_assignment', 'eds_cluster_config',
    'typed_extension_protocol_options', 'http2_protocol_options', 'upstream_connection_options', 'upstream_bind_config']);
  const name = requiredString(obj, 'name', path);
  const type = oneOf(obj, 'type', path, ['STATIC', 'EDS', 'ORIGINAL_DST'], 'STATIC');
  const lbPolicy = oneOf(obj, 'lb_policy', path, ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'CLUSTER_PROVIDED'], 'ROUND_ROBIN');
  if ((type === 'ORIGINAL_DST') !== (lbPolicy === 'CLUSTER_PROVIDED')) {
    throw new ConfigError(`${path}.lb_policy`, 'CLUSTER_PROVIDED goes with, and only with, type ORIGINAL_DST');
  }
  checkProtocolOptions(obj, path);
  let endpoints: Endpoint[] = [];
  const loadAssignment = optionalObject(obj, 'load_assignment', path);
  if (loadAssignment) {
    if (type !== 'STATIC') throw new ConfigError(`${path}.load_assignment`, `only STATIC clusters take inline endpoints (type is ${type})`);
    endpoints = compileLoadAssignment({ cluster_name: name, ...loadAssignment }, `${path}.load_assignment`).endpoints;
  }
  let edsServiceName = name;
  const eds = optionalObject(obj, 'eds_cluster_config', path);
  if (eds) {
    const epath = `${path}.eds_cluster_config`;
    onlyFields(eds, epath, ['service_name', 'eds_config']);
    const source = optionalObject(eds, 'eds_config', epath);
    if (source) {
      onlyFields(source, `${epath}.eds_config`, ['ads', 'resource_api_version', 'initial_fetch_timeout']);
      if (!source.ads) throw new ConfigError(`${epath}.eds_config`, 'only { ads: {} } config sources are supported');
    }
    edsServiceName = optionalString(eds, 'service_name', epath) || name;
  } else if (type === 'EDS') throw new ConfigError(`${path}.eds_cluster_config`, 'required for EDS clusters');
  let sourceAddress: string | undefined;
  const bind = optionalObject(obj, 'upstream_bind_config', path);
  if (bind) {
    onlyFields(bind, `${path}.upstream_bind_config`, ['source_address']);
    sourceAddress = socketAddress({ socket_address: bind.source_address }, `${path}.upstream_bind_config`).address;
  }
  let keepaliveSeconds = 0;
  const connectionOptions = optionalObject(obj, 'upstream_connection_options', path);
  if (connectionOptions) {
    const cpath = `${path}.upstream_connection_options`;
    onlyFields(connectionOptions, cpath, ['tcp_keepalive']);
    const keepalive = optionalObject(connectionOptions, 'tcp_keepalive', cpath);
    if (keepalive) {
      onlyFields(keepalive, `${cpath}.tcp_keepalive`, ['keepalive_time', 'keepalive_interval', 'keepalive_probes']);
      keepaliveSeconds = optionalInteger(keepalive, 'keepalive_time', `${cpath}.tcp_keepalive`) ?? 7200;
    }
  }
  return {
    name,
    type,
    lbPolicy,
    connectTimeoutMs: optionalDurationMs(obj, 'connect_timeout', path) ?? DEFAULT_CONNECT_TIMEOUT_MS,
    edsServiceName,
    endpoints,
    sourceAddress,
    keepaliveSeconds,
    json: obj,
  };
}
