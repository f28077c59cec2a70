// A DestinationRule's traffic policy in Envoy's terms, as Istio maps it: the load balancer and
// its consistent hash, the connection pool as circuit breakers and protocol options, outlier
// detection. The hash key itself is a route setting (hash_policy), so it is built here too.
import type { ConnectionPoolSettings, LoadBalancerSettings, OutlierDetection, TcpKeepalive } from '@mizzen/config';
import type { PortPolicy } from '../model/destination-rules.ts';
import { isHttp, isHttp2, type Protocol } from '../model/protocol.ts';
import { durationJson, typeUrls, type JsonObject } from './envoy-json.ts';

/** Envoy's "no limit" for circuit breakers, which Istio writes for the limits a rule leaves
 *  out. */
const unlimited = 4294967295;
/** Istio's default ring size for consistent hashing. */
const defaultRingSize = 1024;

/** The cluster fields that a port policy sets for a sidecar's (or another client's) cluster;
 *  an empty policy sets none, but the protocol's own options. */
export function clusterPolicyFields(policy: PortPolicy, protocol: Protocol, sidecar = false): JsonObject {
  return {
    ...loadBalancerFields(policy.loadBalancer),
    ...connectionPoolFields(policy.connectionPool),
    ...outlierDetectionFields(policy.outlierDetection),
    ...protocolOptions(policy.connectionPool, protocol, sidecar),
  };
}

function loadBalancerFields(lb: LoadBalancerSettings | undefined): JsonObject {
  if (!lb) return {};
  switch (lb.simple) {
    case 'LEAST_REQUEST':
    case 'LEAST_CONN':
      return { lb_policy: 'LEAST_REQUEST' };
    case 'RANDOM':
      return { lb_policy: 'RANDOM' };
    case 'PASSTHROUGH':
      // Straight to the address the app asked for, as Istio's passthrough load balancer.
      return { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' };
  }
  const hash = lb.consistentHash;
  if (!hash) return {};
  if (hash.maglev) return { lb_policy: 'MAGLEV', ...(hash.maglev.tableSize ? { maglev_lb_config: { table_size: hash.maglev.tableSize } } : {}) };
  const ringSize = hash.ringHash?.minimumRingSize ?? hash.minimumRingSize ?? defaultRingSize;
  return { lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: String(ringSize) } };
}

function connectionPoolFields(pool: ConnectionPoolSettings | undefined): JsonObject {
  if (!pool) return {};
  const keepalive = pool.tcp?.tcpKeepalive;
  return {
    ...(pool.tcp?.connectTimeout ? { connect_timeout: durationJson(pool.tcp.connectTimeout) } : {}),
    circuit_breakers: {
      thresholds: [
        {
          max_connections: pool.tcp?.maxConnections || unlimited,
          max_pending_requests: pool.http?.http1MaxPendingRequests || unlimited,
          max_requests: pool.http?.http2MaxRequests || unlimited,
          max_retries: pool.http?.maxRetries || unlimited,
          track_remaining: true,
        },
      ],
    },
    ...(keepalive ? { upstream_connection_options: { tcp_keepalive: tcpKeepaliveFields(keepalive) } } : {}),
  };
}

/** Envoy's TcpKeepalive of Istio's (a DestinationRule's or the mesh config's): only the fields
 *  set, the rest left to the system's defaults. */
export function tcpKeepaliveFields(keepalive: TcpKeepalive): JsonObject {
  return {
    ...(keepalive.probes ? { keepalive_probes: keepalive.probes } : {}),
    ...(keepalive.time ? { keepalive_time: wholeSeconds(keepalive.time) } : {}),
    ...(keepalive.interval ? { keepalive_interval: wholeSeconds(keepalive.interval) } : {}),
  };
}

function outlierDetectionFields(outlier: OutlierDetection | undefined): JsonObject {
  if (!outlier) return {};
  const out: JsonObject = {};
  const consecutive5xx = outlier.consecutive5xxErrors ?? outlier.consecutiveErrors;
  if (consecutive5xx !== undefined) Object.assign(out, { consecutive_5xx: consecutive5xx, enforcing_consecutive_5xx: consecutive5xx > 0 ? 100 : 0 });
  if (outlier.consecutiveGatewayErrors !== undefined) {
    Object.assign(out, { consecutive_gateway_failure: outlier.consecutiveGatewayErrors, enforcing_consecutive_gateway_failure: outlier.consecutiveGatewayErrors > 0 ? 100 : 0 });
  }
  if (outlier.interval) out.interval = durationJson(outlier.interval);
  if (outlier.baseEjectionTime) out.base_ejection_time = durationJson(outlier.baseEjectionTime);
  if (outlier.maxEjectionPercent) out.max_ejection_percent = outlier.maxEjectionPercent;
  if (outlier.splitExternalLocalOriginErrors) {
    Object.assign(out, { split_external_local_origin_errors: true, consecutive_local_origin_failure: outlier.consecutiveLocalOriginFailures ?? 5, enforcing_consecutive_local_origin_failure: 100 });
  }
  // Istio turns success-rate ejection off; only the consecutive-error checks eject.
  out.enforcing_success_rate = 0;
  // Below this share of healthy hosts Envoy balances over all of them (its panic mode).
  return { outlier_detection: out, common_lb_config: { healthy_panic_threshold: outlier.minHealthPercent ? { value: outlier.minHealthPercent } : {} } };
}

/** The upstream HTTP options, as Istio sets them: HTTP/2 for HTTP/2 and gRPC ports, or for an
 *  HTTP port whose rule asks to upgrade; the client's own protocol when the rule asks for it, or
 *  on a sidecar's cluster of a port of no declared protocol (sniffed HTTP keeps h2c clients on
 *  HTTP/2 and HTTP/1.1 clients on HTTP/1.1; gateways do not sniff, so they do not follow); and
 *  the pool's per-connection limits. */
export function protocolOptions(pool: ConnectionPoolSettings | undefined, protocol: Protocol, sidecar = false): JsonObject {
  const http = pool?.http;
  const common: JsonObject = {};
  if (http?.idleTimeout) common.idle_timeout = durationJson(http.idleTimeout);
  if (pool?.tcp?.maxConnectionDuration) common.max_connection_duration = durationJson(pool.tcp.maxConnectionDuration);
  if (http?.maxRequestsPerConnection) common.max_requests_per_connection = http.maxRequestsPerConnection;
  const http2 = isHttp2(protocol) || (isHttp(protocol) && http?.h2UpgradePolicy === 'UPGRADE');
  // A declared HTTP/2 port stays HTTP/2 whatever the rule says, as in Istio.
  const followClient = !isHttp2(protocol) && (http?.useClientProtocol === true || (sidecar && protocol === 'AUTO'));
  if (!http2 && !followClient && Object.keys(common).length === 0) return {};
  const http2Options = http?.maxConcurrentStreams ? { max_concurrent_streams: http.maxConcurrentStreams } : {};
  const upstream = followClient
    ? { use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: http2Options } }
    : { explicit_http_config: http2 ? { http2_protocol_options: http2Options } : { http_protocol_options: {} } };
  return {
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': typeUrls.httpProtocolOptions,
        ...(Object.keys(common).length > 0 ? { common_http_protocol_options: common } : {}),
        ...upstream,
      },
    },
  };
}

/** The route's hash key for a consistent-hash load balancer, or undefined. */
export function hashPolicy(lb: LoadBalancerSettings | undefined): JsonObject[] | undefined {
  const hash = lb?.consistentHash;
  if (!hash) return undefined;
  if (hash.httpHeaderName) return [{ header: { header_name: hash.httpHeaderName } }];
  if (hash.httpCookie) {
    const { name, path, ttl } = hash.httpCookie;
    return [{ cookie: { name, ...(ttl ? { ttl: durationJson(ttl) } : {}), ...(path ? { path } : {}) } }];
  }
  if (hash.useSourceIp) return [{ connection_properties: { source_ip: true } }];
  if (hash.httpQueryParameterName) return [{ query_parameter: { name: hash.httpQueryParameterName } }];
  return undefined;
}

function wholeSeconds(duration: string): number {
  return Math.max(1, Math.round(Number(durationJson(duration).slice(0, -1))));
}
