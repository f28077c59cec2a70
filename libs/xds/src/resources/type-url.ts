// Type URLs of the resources and typed configs Mizzen uses.
const prefix = 'type.googleapis.com/';

export const TypeUrl = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  HttpConnectionManager:
    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  Router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  Fault: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  TcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  DirectResponse: 'type.googleapis.com/envoy.extensions.filters.network.direct_response.v3.Config',
  OriginalDst: 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  TlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  HttpInspector: 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector',
  UpstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  DownstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  RawBuffer: 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer',
  Bootstrap: 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap',
  DiscoveryRequest: 'type.googleapis.com/envoy.service.discovery.v3.DiscoveryRequest',
  DiscoveryResponse: 'type.googleapis.com/envoy.service.discovery.v3.DiscoveryResponse',
  DeltaDiscoveryRequest: 'type.googleapis.com/envoy.service.discovery.v3.DeltaDiscoveryRequest',
  DeltaDiscoveryResponse: 'type.googleapis.com/envoy.service.discovery.v3.DeltaDiscoveryResponse',
  ConfigDump: 'type.googleapis.com/envoy.admin.v3.ConfigDump',
  BootstrapConfigDump: 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
  ListenersConfigDump: 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
  ClustersConfigDump: 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
  RoutesConfigDump: 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
  EndpointsConfigDump: 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
  SecretsConfigDump: 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
  /** Istio's name table (NDS), for the agent's DNS proxy. */
  NameTable: 'type.googleapis.com/istio.networking.nds.v1.NameTable',
} as const;

export type TypeUrlValue = (typeof TypeUrl)[keyof typeof TypeUrl];

/** "envoy.config.cluster.v3.Cluster" -> its type URL (a type URL is returned unchanged). */
export function typeUrlOf(typeName: string): string {
  return typeName.includes('/') ? typeName : `${prefix}${typeName}`;
}

/** A resource's name: `name`, or `cluster_name` for a ClusterLoadAssignment. */
export function resourceName(resource: { [key: string]: unknown }): string {
  const name = resource.name ?? resource.cluster_name;
  return typeof name === 'string' ? name : '';
}
