import { adminConfigDump, TypeUrl, type JsonObject } from '@mizzen/xds';
import type { DiscoveryServer } from '../xds/discovery-server.ts';

/** What istiod would send a connected proxy now, laid out as Envoy's /config_dump, so that it
 *  can be compared with the proxy's own dump. Undefined when no such proxy is connected. */
export function configDump(discovery: DiscoveryServer, proxyId: string): JsonObject | undefined {
  const connection = [...discovery.connections.values()].find((c) => c.proxy?.id === proxyId);
  if (!connection) return undefined;
  const resources = discovery.resourcesFor(connection);
  const entries = (typeUrl: string) => {
    const state = connection.types.get(typeUrl);
    return (resources.get(typeUrl) ?? []).map((resource) => ({ resource, version: state?.sentVersion ?? discovery.pushContext.version, lastUpdated: state?.sentAt }));
  };
  return adminConfigDump({
    clusters: entries(TypeUrl.Cluster),
    listeners: entries(TypeUrl.Listener),
    routes: entries(TypeUrl.RouteConfiguration),
    endpoints: entries(TypeUrl.ClusterLoadAssignment),
    clustersVersion: connection.types.get(TypeUrl.Cluster)?.sentVersion,
    listenersVersion: connection.types.get(TypeUrl.Listener)?.sentVersion,
  });
}
