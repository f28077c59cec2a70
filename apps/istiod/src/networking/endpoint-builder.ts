import { destinationRuleFor } from '../model/destination-rules.ts';
import type { Proxy } from '../model/proxy.ts';
import { serviceEndpoints, type PushContext } from '../model/push-context.ts';
import type { Endpoint } from '../model/service-registry.ts';
import { selectorMatches } from '../model/service.ts';
import { outboundClusterName, socketAddress, typeUrls, type JsonObject } from './envoy-json.ts';

/** The load assignments of every outbound cluster, or of the named ones, sorted by name: one
 *  per service port, and one per subset of the DestinationRule the proxy sees for the service
 *  (the endpoints whose pod labels the subset's labels select). Without a proxy, rules are
 *  looked up as from the service's own namespace. Names that are not an outbound cluster of a
 *  known service are left out. */
export function buildEndpoints(push: PushContext, names?: string[], proxy?: Proxy): JsonObject[] {
  const wanted = names ? new Set(names) : undefined;
  const assignments: JsonObject[] = [];
  for (const service of push.registry.services) {
    // DNS and NONE services have no EDS clusters: the proxy resolves or passes through.
    if (service.resolution && service.resolution !== 'EDS') continue;
    const rule = destinationRuleFor(push.destinationRules, proxy?.namespace ?? service.namespace, service.hostname, service.namespace);
    for (const port of service.ports) {
      const endpoints = serviceEndpoints(push, service.hostname, port.port);
      const clusters = [
        { name: outboundClusterName(port.port, service.hostname), endpoints },
        ...(rule?.spec.subsets ?? []).map((subset) => ({
          name: outboundClusterName(port.port, service.hostname, subset.name),
          // A subset without labels is every endpoint of the service.
          endpoints: endpoints.filter((e) => !subset.labels || selectorMatches(subset.labels, e.labels)),
        })),
      ];
      for (const cluster of clusters) {
        if (!wanted || wanted.has(cluster.name)) assignments.push(loadAssignment(cluster.name, cluster.endpoints));
      }
    }
  }
  return assignments.sort((a, b) => ((a.cluster_name as string) < (b.cluster_name as string) ? -1 : 1));
}

export function loadAssignment(clusterName: string, endpoints: Endpoint[]): JsonObject {
  // No endpoints is written as no field at all, as canonical Envoy JSON omits empty lists.
  if (endpoints.length === 0) return { '@type': typeUrls.clusterLoadAssignment, cluster_name: clusterName };
  return {
    '@type': typeUrls.clusterLoadAssignment,
    cluster_name: clusterName,
    endpoints: [
      {
        lb_endpoints: endpoints.map((e) => ({
          endpoint: { address: socketAddress(e.address, e.port) },
          health_status: 'HEALTHY',
          load_balancing_weight: e.weight ?? 1,
        })),
      },
    ],
  };
}
