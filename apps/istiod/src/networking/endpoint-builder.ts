import { serviceEndpoints, type PushContext } from '../model/push-context.ts';
import { outboundClusterName, socketAddress, typeUrls, type JsonObject } from './envoy-json.ts';

/** The load assignments of every outbound cluster, or of the named ones, sorted by name.
 *  Names that are not an outbound cluster of a known service are left out. */
export function buildEndpoints(push: PushContext, names?: string[]): JsonObject[] {
  const wanted = names ? new Set(names) : undefined;
  const assignments: JsonObject[] = [];
  for (const service of push.registry.services) {
    for (const port of service.ports) {
      const clusterName = outboundClusterName(port.port, service.hostname);
      if (wanted && !wanted.has(clusterName)) continue;
      const endpoints = serviceEndpoints(push, service.hostname, port.port);
      assignments.push({
        '@type': typeUrls.clusterLoadAssignment,
        cluster_name: clusterName,
        endpoints:
          endpoints.length === 0
            ? []
            : [
                {
                  lb_endpoints: endpoints.map((e) => ({
                    endpoint: { address: socketAddress(e.address, e.port) },
                    health_status: 'HEALTHY',
                    load_balancing_weight: 1,
                  })),
                },
              ],
      });
    }
  }
  return assignments.sort((a, b) => ((a.cluster_name as string) < (b.cluster_name as string) ? -1 : 1));
}
