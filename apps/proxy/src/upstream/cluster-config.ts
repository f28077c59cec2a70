import {
  ConfigError, asObject, onlyFields, optionalArray, optionalBoolean, optionalDurationMs, optionalInteger, optionalObject, optionalString,
  requiredString, oneOf, type JsonObject,
} from '@mizzen/filters';
import { compileTransportSocketMatches, compileUpstreamTransport, type TransportSocketMatch } from '../tls/transport-socket.ts';
import type { UpstreamTlsConfig } from '../tls/tls-context.ts';
import type { UpstreamTransport } from '../tls/upstream-tls.ts';
import { compileDnsConfig, type DnsConfig } from './dns-resolution.ts';
import { compileHealthChecks, type HealthCheckConfig } from './health-check-config.ts';
import { compileHttpProtocolOptions, type HttpProtocolOptions } from './http-protocol-options.ts';
import { DEFAULT_OVERPROVISIONING } from './priority-load.ts';

export type ClusterType = 'STATIC' | 'EDS' | 'ORIGINAL_DST' | 'STRICT_DNS' | 'LOGICAL_DNS';
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'CLUSTER_PROVIDED' | 'RING_HASH' | 'MAGLEV';

/** circuit_breakers.thresholds of priority DEFAULT (Envoy's defaults when absent). */
export interface CircuitBreakers {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
}

/** outlier_detection: consecutive errors, and the statistical checks run at each interval. */
export interface OutlierDetection {
  readonly consecutive5xx: number;
  readonly enforcing5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly enforcingGatewayFailure: number;
  /** With split_external_local_origin_errors, failures with no response count apart. */
  readonly splitLocalOrigin: boolean;
  readonly consecutiveLocalOriginFailure: number;
  readonly enforcingLocalOriginFailure: number;
  readonly intervalMs: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly ejectionJitterMs: number;
  readonly maxEjectionPercent: number;
  /** Success rate: hosts below mean - stdev * factor among hosts with enough requests. */
  readonly enforcingSuccessRate: number;
  readonly enforcingLocalOriginSuccessRate: number;
  readonly successRateMinimumHosts: number;
  readonly successRateRequestVolume: number;
  /** success_rate_stdev_factor / 1000. */
  readonly successRateStdevFactor: number;
  /** Failure percentage: hosts failing at least this percent of enough requests. */
  readonly enforcingFailurePercentage: number;
  readonly enforcingLocalOriginFailurePercentage: number;
  readonly failurePercentageMinimumHosts: number;
  readonly failurePercentageRequestVolume: number;
  readonly failurePercentageThreshold: number;
  /** A host an active health check finds healthy is brought back at once. */
  readonly unejectOnHealthCheck: boolean;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly priority: number;
  /** Which locality entry of its assignment it came from (their order there). */
  readonly locality?: number;
  /** That locality's load_balancing_weight (used with locality_weighted_lb_config; none means no traffic then). */
  readonly localityWeight?: number;
  /** Its assignment's policy.overprovisioning_factor in percent (the same on all its endpoints). */
  readonly overprovisioning?: number;
  /** Its `envoy.transport_socket_match` metadata, for the cluster's transport_socket_matches. */
  readonly transportMatch?: JsonObject;
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
  /** STRICT_DNS and LOGICAL_DNS clusters: the host names to resolve, and how. */
  readonly dns: DnsConfig | undefined;
  /** Local address upstream connections bind to (upstream_bind_config). */
  readonly sourceAddress: string | undefined;
  /** TCP keepalive idle time in seconds (upstream_connection_options), 0 when off. */
  readonly keepaliveSeconds: number;
  readonly circuitBreakers: CircuitBreakers;
  readonly outlierDetection: OutlierDetection | undefined;
  /** transport_socket: TLS to the endpoints (UpstreamTlsContext), undefined for plain TCP. */
  readonly tls: UpstreamTlsConfig | undefined;
  /** transport_socket_matches: per-endpoint transports chosen by endpoint metadata. */
  readonly tlsMatches: TransportSocketMatch[];
  /** What opens connections when `tls` is set; the cluster manager builds it (it needs SDS). */
  readonly transport?: UpstreamTransport;
  /** health_checks: at most one (a host must pass every checker; one is what Istio users set). */
  readonly healthCheck: HealthCheckConfig | undefined;
  /** common_lb_config.healthy_panic_threshold in percent: below this share of usable hosts,
   *  the balancer uses them all (0 disables). */
  readonly panicThreshold: number;
  /** common_lb_config.locality_weighted_lb_config: pick a locality by weight x health first. */
  readonly localityWeighted: boolean;
  /** RING_HASH: points on the ring. */
  readonly ringSize: number;
  /** HTTP/1.1 or HTTP/2 upstream, and the per-connection limits of the pools. */
  readonly protocolOptions: HttpProtocolOptions;
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

/** An endpoint's metadata under `envoy.transport_socket_match` (Istio puts `tlsMode` there). */
function transportMatchOf(lbEndpoint: JsonObject, path: string): JsonObject | undefined {
  const metadata = optionalObject(lbEndpoint, 'metadata', path);
  const filterMetadata = metadata && optionalObject(metadata, 'filter_metadata', `${path}.metadata`);
  return filterMetadata && optionalObject(filterMetadata, 'envoy.transport_socket_match', `${path}.metadata.filter_metadata`);
}

/** policy.overprovisioning_factor in percent (Envoy's default 140); drop_overloads is not supported. */
function compileOverprovisioning(cla: JsonObject, path: string): number {
  const policy = optionalObject(cla, 'policy', path);
  if (!policy) return DEFAULT_OVERPROVISIONING;
  const ppath = `${path}.policy`;
  onlyFields(policy, ppath, ['overprovisioning_factor', 'drop_overloads']);
  if (optionalArray(policy, 'drop_overloads', ppath).length > 0) throw new ConfigError(`${ppath}.drop_overloads`, 'not supported');
  return optionalInteger(policy, 'overprovisioning_factor', ppath, 1, UINT32_MAX) ?? DEFAULT_OVERPROVISIONING;
}

/** The healthy endpoints of a ClusterLoadAssignment (unhealthy, draining and timed-out ones are left out). */
export function compileLoadAssignment(json: unknown, path = 'ClusterLoadAssignment'): { clusterName: string; endpoints: Endpoint[] } {
  const cla = asObject(json, path);
  onlyFields(cla, path, ['@type', 'cluster_name', 'endpoints', 'policy']);
  const overprovisioning = compileOverprovisioning(cla, path);
  const endpoints: Endpoint[] = [];
  optionalArray(cla, 'endpoints', path).forEach((l, i) => {
    const lpath = `${path}.endpoints[${i}]`;
    const locality = asObject(l, lpath);
    onlyFields(locality, lpath, ['locality', 'lb_endpoints', 'load_balancing_weight', 'priority']);
    const priority = optionalInteger(locality, 'priority', lpath) ?? 0;
    const localityWeight = optionalInteger(locality, 'load_balancing_weight', lpath, 1, UINT32_MAX);
    optionalArray(locality, 'lb_endpoints', lpath).forEach((e, j) => {
      const epath = `${lpath}.lb_endpoints[${j}]`;
      const lbEndpoint = asObject(e, epath);
      onlyFields(lbEndpoint, epath, ['endpoint', 'health_status', 'load_balancing_weight', 'metadata']);
      const endpoint = asObject(lbEndpoint.endpoint, `${epath}.endpoint`);
      onlyFields(endpoint, `${epath}.endpoint`, ['address', 'hostname']);
      const { address, port } = socketAddress(endpoint.address, `${epath}.endpoint.address`);
      const health = oneOf(lbEndpoint, 'health_status', epath, ['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'], 'UNKNOWN');
      if (health === 'UNHEALTHY' || health === 'DRAINING' || health === 'TIMEOUT') return;
      const transportMatch = transportMatchOf(lbEndpoint, epath);
      const weight = optionalInteger(lbEndpoint, 'load_balancing_weight', epath, 1, 128) ?? 1;
      endpoints.push({ address, port, weight, priority, locality: i, localityWeight, overprovisioning, ...(transportMatch && { transportMatch }) });
    });
  });
  return { clusterName: requiredString(cla, 'cluster_name', path), endpoints };
}

// Envoy's defaults.
const DEFAULT_BREAKERS: CircuitBreakers = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 };
const UINT32_MAX = 0xffffffff;

function compileCircuitBreakers(obj: JsonObject, path: string): CircuitBreakers {
  const breakers = optionalObject(obj, 'circuit_breakers', path);
  if (!breakers) return DEFAULT_BREAKERS;
  const bpath = `${path}.circuit_breakers`;
  onlyFields(breakers, bpath, ['thresholds']);
  let result = DEFAULT_BREAKERS;
  optionalArray(breakers, 'thresholds', bpath).forEach((t, i) => {
    const tpath = `${bpath}.thresholds[${i}]`;
    const threshold = asObject(t, tpath);
    // track_remaining only adds remaining_* gauges.
    onlyFields(threshold, tpath, ['priority', 'max_connections', 'max_pending_requests', 'max_requests', 'max_retries', 'track_remaining']);
    // Every request here is of priority DEFAULT; HIGH limits are checked but never bind.
    if (oneOf(threshold, 'priority', tpath, ['DEFAULT', 'HIGH'], 'DEFAULT') !== 'DEFAULT') return;
    result = {
      maxConnections: optionalInteger(threshold, 'max_connections', tpath, 0, UINT32_MAX) ?? DEFAULT_BREAKERS.maxConnections,
      maxPendingRequests: optionalInteger(threshold, 'max_pending_requests', tpath, 0, UINT32_MAX) ?? DEFAULT_BREAKERS.maxPendingRequests,
      maxRequests: optionalInteger(threshold, 'max_requests', tpath, 0, UINT32_MAX) ?? DEFAULT_BREAKERS.maxRequests,
      maxRetries: optionalInteger(threshold, 'max_retries', tpath, 0, UINT32_MAX) ?? DEFAULT_BREAKERS.maxRetries,
    };
  });
  return result;
}

function compileOutlierDetection(obj: JsonObject, path: string): OutlierDetection | undefined {
  const od = optionalObject(obj, 'outlier_detection', path);
  if (!od) return undefined;
  const opath = `${path}.outlier_detection`;
  onlyFields(od, opath, ['consecutive_5xx', 'enforcing_consecutive_5xx', 'consecutive_gateway_failure', 'enforcing_consecutive_gateway_failure',
    'split_external_local_origin_errors', 'consecutive_local_origin_failure', 'enforcing_consecutive_local_origin_failure', 'interval',
    'base_ejection_time', 'max_ejection_time', 'max_ejection_time_jitter', 'max_ejection_percent', 'enforcing_success_rate',
    'enforcing_local_origin_success_rate', 'success_rate_minimum_hosts', 'success_rate_request_volume', 'success_rate_stdev_factor',
    'enforcing_failure_percentage', 'enforcing_failure_percentage_local_origin', 'failure_percentage_minimum_hosts',
    'failure_percentage_request_volume', 'failure_percentage_threshold', 'successful_active_health_check_uneject_host']);
  const int = (key: string, fallback: number, max = UINT32_MAX): number => optionalInteger(od, key, opath, 0, max) ?? fallback;
  const base = optionalDurationMs(od, 'base_ejection_time', opath) ?? 30_000;
  // Envoy's defaults throughout.
  return {
    consecutive5xx: int('consecutive_5xx', 5),
    enforcing5xx: int('enforcing_consecutive_5xx', 100, 100),
    consecutiveGatewayFailure: int('consecutive_gateway_failure', 5),
    enforcingGatewayFailure: int('enforcing_consecutive_gateway_failure', 0, 100),
    splitLocalOrigin: optionalBoolean(od, 'split_external_local_origin_errors', opath) ?? false,
    consecutiveLocalOriginFailure: int('consecutive_local_origin_failure', 5),
    enforcingLocalOriginFailure: int('enforcing_consecutive_local_origin_failure', 100, 100),
    intervalMs: Math.max(1, optionalDurationMs(od, 'interval', opath) ?? 10_000),
    baseEjectionMs: base,
    maxEjectionMs: Math.max(base, optionalDurationMs(od, 'max_ejection_time', opath) ?? 300_000),
    ejectionJitterMs: optionalDurationMs(od, 'max_ejection_time_jitter', opath) ?? 0,
    maxEjectionPercent: int('max_ejection_percent', 10, 100),
    enforcingSuccessRate: int('enforcing_success_rate', 100, 100),
    enforcingLocalOriginSuccessRate: int('enforcing_local_origin_success_rate', 100, 100),
    successRateMinimumHosts: int('success_rate_minimum_hosts', 5),
    successRateRequestVolume: int('success_rate_request_volume', 100),
    successRateStdevFactor: int('success_rate_stdev_factor', 1900) / 1000,
    enforcingFailurePercentage: int('enforcing_failure_percentage', 0, 100),
    enforcingLocalOriginFailurePercentage: int('enforcing_failure_percentage_local_origin', 0, 100),
    failurePercentageMinimumHosts: int('failure_percentage_minimum_hosts', 5),
    failurePercentageRequestVolume: int('failure_percentage_request_volume', 50),
    failurePercentageThreshold: int('failure_percentage_threshold', 85, 100),
    unejectOnHealthCheck: optionalBoolean(od, 'successful_active_health_check_uneject_host', opath) ?? true,
  };
}

/** common_lb_config: the healthy_panic_threshold (percent, Envoy's default 50) and whether
 *  localities are weighted. */
function compileCommonLbConfig(obj: JsonObject, path: string): { panicThreshold: number; localityWeighted: boolean } {
  const common = optionalObject(obj, 'common_lb_config', path);
  if (!common) return { panicThreshold: 50, localityWeighted: false };
  const cpath = `${path}.common_lb_config`;
  onlyFields(common, cpath, ['healthy_panic_threshold', 'locality_weighted_lb_config']);
  const weighted = optionalObject(common, 'locality_weighted_lb_config', cpath);
  if (weighted) onlyFields(weighted, `${cpath}.locality_weighted_lb_config`, []);
  const threshold = optionalObject(common, 'healthy_panic_threshold', cpath);
  if (!threshold) return { panicThreshold: 50, localityWeighted: weighted !== undefined };
  onlyFields(threshold, `${cpath}.healthy_panic_threshold`, ['value']);
  const value = threshold.value ?? 0;
  if (typeof value !== 'number' || value < 0 || value > 100) throw new ConfigError(`${cpath}.healthy_panic_threshold.value`, 'must be a percentage between 0 and 100');
  return { panicThreshold: value, localityWeighted: weighted !== undefined };
}

function compileRingSize(obj: JsonObject, path: string, lbPolicy: LbPolicy): number {
  const ring = optionalObject(obj, 'ring_hash_lb_config', path);
  const maglev = optionalObject(obj, 'maglev_lb_config', path);
  if (ring && lbPolicy !== 'RING_HASH') throw new ConfigError(`${path}.ring_hash_lb_config`, 'only with lb_policy RING_HASH');
  if (maglev && lbPolicy !== 'MAGLEV') throw new ConfigError(`${path}.maglev_lb_config`, 'only with lb_policy MAGLEV');
  if (maglev) {
    onlyFields(maglev, `${path}.maglev_lb_config`, ['table_size']);
    return optionalInteger(maglev, 'table_size', `${path}.maglev_lb_config`, 1, 5_000_011) ?? 65_537;
  }
  if (!ring) return lbPolicy === 'MAGLEV' ? 65_537 : 1024;
  const rpath = `${path}.ring_hash_lb_config`;
  onlyFields(ring, rpath, ['minimum_ring_size', 'maximum_ring_size', 'hash_function']);
  oneOf(ring, 'hash_function', rpath, ['XX_HASH'], 'XX_HASH');
  const min = optionalInteger(ring, 'minimum_ring_size', rpath, 1, 8_388_608) ?? 1024;
  const max = optionalInteger(ring, 'maximum_ring_size', rpath, 1, 8_388_608) ?? 8_388_608;
  return Math.min(min, max);
}

/** Checks a Cluster (Envoy JSON); throws a ConfigError naming the field. */
export function compileCluster(json: unknown, path = 'Cluster'): ClusterConfig {
  const obj = asObject(json, path);
  onlyFields(obj, path, ['@type', 'name', 'type', 'connect_timeout', 'lb_policy', 'load_assignment', 'eds_cluster_config',
    'typed_extension_protocol_options', 'http2_protocol_options', 'common_http_protocol_options', 'upstream_connection_options', 'upstream_bind_config', 'circuit_breakers',
    'outlier_detection', 'common_lb_config', 'ring_hash_lb_config', 'maglev_lb_config', 'health_checks', 'transport_socket', 'transport_socket_matches',
    'dns_lookup_family', 'respect_dns_ttl', 'dns_refresh_rate',
    // Metadata routes nothing here; Istio writes its origin (the DestinationRule) and services
    // into it, and /config_dump shows it back to tools such as proxy-config.
    'metadata']);
  const name = requiredString(obj, 'name', path);
  const type = oneOf(obj, 'type', path, ['STATIC', 'EDS', 'ORIGINAL_DST', 'STRICT_DNS', 'LOGICAL_DNS'], 'STATIC');
  const lbPolicy = oneOf(obj, 'lb_policy', path, ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'CLUSTER_PROVIDED', 'RING_HASH', 'MAGLEV'], 'ROUND_ROBIN');
  if ((type === 'ORIGINAL_DST') !== (lbPolicy === 'CLUSTER_PROVIDED')) {
    throw new ConfigError(`${path}.lb_policy`, 'CLUSTER_PROVIDED goes with, and only with, type ORIGINAL_DST');
  }
  const protocolOptions = compileHttpProtocolOptions(obj, path);
  let endpoints: Endpoint[] = [];
  const loadAssignment = optionalObject(obj, 'load_assignment', path);
  if (loadAssignment) {
    if (type !== 'STATIC' && type !== 'STRICT_DNS' && type !== 'LOGICAL_DNS') {
      throw new ConfigError(`${path}.load_assignment`, `only STATIC and DNS clusters take inline endpoints (type is ${type})`);
    }
    endpoints = compileLoadAssignment({ cluster_name: name, ...loadAssignment }, `${path}.load_assignment`).endpoints;
  }
  const dns = type === 'STRICT_DNS' || type === 'LOGICAL_DNS' ? compileDnsConfig(obj, path, type, endpoints) : undefined;
  if (dns) endpoints = [];
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
  const healthChecks = compileHealthChecks(obj, path);
  if (healthChecks.length > 1) throw new ConfigError(`${path}.health_checks`, 'at most one health check is supported');
  if (healthChecks.length > 0 && type === 'ORIGINAL_DST') throw new ConfigError(`${path}.health_checks`, 'ORIGINAL_DST clusters cannot be health checked');
  return {
    name,
    type,
    lbPolicy,
    connectTimeoutMs: optionalDurationMs(obj, 'connect_timeout', path) ?? DEFAULT_CONNECT_TIMEOUT_MS,
    edsServiceName,
    endpoints,
    dns,
    sourceAddress,
    keepaliveSeconds,
    circuitBreakers: compileCircuitBreakers(obj, path),
    outlierDetection: compileOutlierDetection(obj, path),
    healthCheck: healthChecks[0],
    tls: compileUpstreamTransport(obj.transport_socket, `${path}.transport_socket`),
    tlsMatches: compileTransportSocketMatches(obj.transport_socket_matches, `${path}.transport_socket_matches`),
    ...compileCommonLbConfig(obj, path),
    ringSize: compileRingSize(obj, path, lbPolicy),
    protocolOptions,
    json: obj,
  };
}
