// Small builders for the pieces of Envoy JSON that every generator repeats.
import { TypeUrl, type JsonObject } from '@mizzen/xds';

export type { JsonObject } from '@mizzen/xds';

export const typeUrls = {
  listener: TypeUrl.Listener,
  routeConfiguration: TypeUrl.RouteConfiguration,
  cluster: TypeUrl.Cluster,
  clusterLoadAssignment: TypeUrl.ClusterLoadAssignment,
  httpConnectionManager: TypeUrl.HttpConnectionManager,
  router: TypeUrl.Router,
  tcpProxy: TypeUrl.TcpProxy,
  originalDst: TypeUrl.OriginalDst,
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
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

/** Clusters of traffic to the proxy's own app: "inbound|9080||". */
export function inboundClusterName(targetPort: number): string {
  return `inbound|${targetPort}||`;
}

export const blackHoleCluster = 'BlackHoleCluster';
export const passthroughCluster = 'PassthroughCluster';
export const inboundPassthroughCluster = 'InboundPassthroughCluster';
