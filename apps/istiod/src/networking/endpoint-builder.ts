import { destinationRuleFor } from '../model/destination-rules.ts';
import type { Proxy } from '../model/proxy.ts';
import { serviceEndpoints, type PushContext } from '../model/push-context.ts';
import type { Endpoint } from '../model/service-registry.ts';
import { selectorMatches, type MeshService } from '../model/service.ts';
import { outboundClusterName, socketAddress, typeUrls, type JsonObject } from './envoy-json.ts';

/** The load assignments of every outbound cluster, or of the named ones, sorted by name: one
 *  per service port, and one per subset of the DestinationRule the proxy sees for the service
 *  (the endpoints whose pod labels the subset's labels select). Without a proxy, rules are
 *  looked up as from the service's own namespace. Names that are not an outbound cluster of a
 *  known service are left out. */
export function buildEndpoints(push: PushContext, names?: string[], proxy?: Proxy): JsonObject[] {
  const assignments: JsonObject[] = [];
  if (names) {
    // Envoy names each cluster it wants: look each one up rather than walk the registry.
    for (const name of new Set(names)) {
      const parsed = parseOutboundClusterName(name);
      const service = parsed && push.registry.byHostname.get(parsed.hostname);
      if (!parsed || !service || !service.ports.some((p) => p.port === parsed.port)) continue;
      const assignment = clusterAssignment(push, service, parsed.port, parsed.subset, proxy);
      if (assignment) assignments.push(assignment);
    }
  } else {
    for (const service of push.registry.services) {
      const rule = destinationRuleFor(push, proxy?.namespace ?? service.namespace, service.hostname, service.namespace);
      for (const port of service.ports) {
        for (const subset of ['', ...(rule?.spec.subsets ?? []).map((s) => s.name)]) {
          const assignment = clusterAssignment(push, service, port.port, subset, proxy);
          if (assignment) assignments.push(assignment);
        }
      }
    }
  }
  return assignments.sort((a, b) => ((a.cluster_name as string) < (b.cluster_name as string) ? -1 : 1));
}

const assignmentsByPush = new WeakMap<PushContext, Map<string, JsonObject | undefined>>();

/** The load assignment of one outbound cluster, as the proxy's DestinationRule defines its
 *  subset; undefined for a subset the rule does not define, or a service not served by EDS.
 *  Built once per push for each rule and cluster, and shared by every proxy that gets it. */
function clusterAssignment(push: PushContext, service: MeshService, port: number, subsetName: string, proxy?: Proxy): JsonObject | undefined {
  // DNS and NONE services have no EDS clusters: the proxy resolves or passes through.
  if (service.resolution && service.resolution !== 'EDS') return undefined;
  const rule = destinationRuleFor(push, proxy?.namespace ?? service.namespace, service.hostname, service.namespace);
  const name = outboundClusterName(port, service.hostname, subsetName);
  const key = `${rule ? `${rule.metadata.namespace}/${rule.metadata.name}` : ''}|${name}`;
  let cache = assignmentsByPush.get(push);
  if (!cache) {
    cache = new Map();
    assignmentsByPush.set(push, cache);
  }
  if (cache.has(key)) return cache.get(key);
  const endpoints = serviceEndpoints(push, service.hostname, port);
  let assignment: JsonObject | undefined;
  if (subsetName === '') {
    assignment = loadAssignment(name, endpoints);
  } else {
    const subset = rule?.spec.subsets?.find((s) => s.name === subsetName);
    // A subset without labels is every endpoint of the service.
    if (subset) assignment = loadAssignment(name, endpoints.filter((e) => !subset.labels || selectorMatches(subset.labels, e.labels)));
  }
  cache.set(key, assignment);
  return assignment;
}

/** "outbound|9080|v1|reviews.default.svc.cluster.local" read back into its parts. */
function parseOutboundClusterName(name: string): { port: number; subset: string; hostname: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const port = Number(parts[1]);
  return Number.isInteger(port) ? { port, subset: parts[2], hostname: parts[3] } : undefined;
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
