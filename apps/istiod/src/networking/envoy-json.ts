// Small builders for the pieces of Envoy JSON that every generator repeats.

export type JsonObject = { [key: string]: unknown };

export const typeUrls = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routeConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  clusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  httpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  originalDst: 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
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
