import { TypeUrl, type JsonObject } from '@mizzen/xds';
import type { DiscoveryServer } from '../xds/discovery-server.ts';

/** What istiod would send a connected proxy now, laid out as Envoy's /config_dump, so that it
 *  can be compared with the proxy's own dump. Undefined when no such proxy is connected. */
export function configDump(discovery: DiscoveryServer, proxyId: string): JsonObject | undefined {
  const connection = [...discovery.connections.values()].find((c) => c.proxy?.id === proxyId);
  if (!connection) return undefined;
  const resources = discovery.resourcesFor(connection);
  const version = (typeUrl: string) => connection.types.get(typeUrl)?.sentVersion ?? discovery.pushContext.version;
  const of = (typeUrl: string) => resources.get(typeUrl) ?? [];
  return {
    configs: [
      {
        '@type': TypeUrl.ClustersConfigDump,
        version_info: version(TypeUrl.Cluster),
        dynamic_active_clusters: of(TypeUrl.Cluster).map((cluster) => ({ version_info: version(TypeUrl.Cluster), cluster })),
      },
      {
        '@type': TypeUrl.ListenersConfigDump,
        version_info: version(TypeUrl.Listener),
        dynamic_listeners: of(TypeUrl.Listener).map((listener) => ({ name: listener.name, active_state: { version_info: version(TypeUrl.Listener), listener } })),
      },
      {
        '@type': TypeUrl.RoutesConfigDump,
        dynamic_route_configs: of(TypeUrl.RouteConfiguration).map((route_config) => ({ version_info: version(TypeUrl.RouteConfiguration), route_config })),
      },
      {
        '@type': TypeUrl.EndpointsConfigDump,
        dynamic_endpoint_configs: of(TypeUrl.ClusterLoadAssignment).map((endpoint_config) => ({ version_info: version(TypeUrl.ClusterLoadAssignment), endpoint_config })),
      },
    ],
  };
}
