// Small builders for the pieces of Envoy JSON that every generator repeats.
import { parseDuration } from '@mizzen/config';
import { TypeUrl, type JsonObject } from '@mizzen/xds';

export type { JsonObject } from '@mizzen/xds';

export const typeUrls = {
  listener: TypeUrl.Listener,
  routeConfiguration: TypeUrl.RouteConfiguration,
  cluster: TypeUrl.Cluster,
  clusterLoadAssignment: TypeUrl.ClusterLoadAssignment,
  secret: TypeUrl.Secret,
  httpConnectionManager: TypeUrl.HttpConnectionManager,
  router: TypeUrl.Router,
  tcpProxy: TypeUrl.TcpProxy,
  originalDst: TypeUrl.OriginalDst,
  tlsInspector: TypeUrl.TlsInspector,
  httpInspector: TypeUrl.HttpInspector,
  downstreamTlsContext: TypeUrl.DownstreamTlsContext,
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  fault: TypeUrl.Fault,
  cors: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors',
  corsPolicy: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
  previousHostsPredicate: 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
  previousPriorities: 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
} as const;

export function socketAddress(address: string, port: number): JsonObject {
  return { socket_address: { address, port_value: port } };
}

/** Config delivered over the same ADS stream, waiting for it without a time limit. */
export function adsConfigSource(): JsonObject {
  return { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
}

/** Clusters of outbound traffic: "outbound|9080||reviews.default.svc.cluster.local". */
export function outboundClusterName(port: number, hostname: string, subset = ''): string {
  return `outbound|${port}|${subset}|${hostname}`;
}

/** The same cluster as a gateway names it for AUTO_PASSTHROUGH, where the client's SNI is the
 *  cluster name (Istio's "sni-dnat" clusters): "outbound_.9080_.v1_.reviews.default.svc.cluster.local". */
export function sniDnatClusterName(port: number, hostname: string, subset = ''): string {
  return `outbound_.${port}_.${subset}_.${hostname}`;
}

/** Clusters of traffic to the proxy's own app: "inbound|9080||". */
export function inboundClusterName(targetPort: number): string {
  return `inbound|${targetPort}||`;
}

export const blackHoleCluster = 'BlackHoleCluster';
export const passthroughCluster = 'PassthroughCluster';
export const inboundPassthroughCluster = 'InboundPassthroughCluster';

/** A duration as Istio's YAML writes it ("7s", "100ms", "1m") in Envoy's canonical JSON form:
 *  whole seconds bare, fractions with 3, 6 or 9 digits ("0.100s"). Input was validated. */
export function durationJson(duration: string): string {
  const nanos = Math.round((parseDuration(duration) ?? 0) * 1e9);
  const seconds = Math.floor(nanos / 1e9);
  const fraction = nanos % 1e9;
  if (fraction === 0) return `${seconds}s`;
  const digits = fraction % 1e6 === 0 ? 3 : fraction % 1e3 === 0 ? 6 : 9;
  return `${seconds}.${String(fraction).padStart(9, '0').slice(0, digits)}s`;
}
