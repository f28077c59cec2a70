import { destinationRuleFor, portPolicy } from '../model/destination-rules.ts';
import type { Proxy } from '../model/proxy.ts';
import { outboundServicePorts, type PushContext } from '../model/push-context.ts';
import { adsConfigSource, outboundClusterName, typeUrls, type JsonObject } from '../networking/envoy-json.ts';
import { clusterPolicyFields } from '../networking/traffic-policy.ts';

/** The outbound EDS clusters a gRPC client asked for ("outbound|PORT|SUBSET|HOST"), or all of
 *  them (with every DestinationRule subset) for a wildcard subscription. Only what gRPC
 *  implements of the traffic policy is kept: round robin or ring hash, and the circuit
 *  breakers' request limit; anything else would make the client reject the cluster. */
export function buildGrpcClusters(push: PushContext, proxy: Proxy, names: string[]): JsonObject[] {
  const wanted = names.length > 0 ? new Set(names) : undefined;
  const clusters: JsonObject[] = [];
  for (const { service, port } of outboundServicePorts(push)) {
    const rule = destinationRuleFor(push, proxy.namespace, service.hostname, service.namespace);
    const subsets = [undefined, ...(rule?.spec.subsets ?? [])];
    for (const subset of subsets) {
      const name = outboundClusterName(port.port, service.hostname, subset?.name);
      if (wanted && !wanted.has(name)) continue;
      const policy = clusterPolicyFields(portPolicy(rule, port.port, subset), port.protocol);
      clusters.push({
        '@type': typeUrls.cluster,
        name,
        type: 'EDS',
        eds_cluster_config: { service_name: name, eds_config: adsConfigSource() },
        ...(policy.lb_policy === 'RING_HASH' ? { lb_policy: 'RING_HASH', ring_hash_lb_config: policy.ring_hash_lb_config } : {}),
        ...(policy.circuit_breakers ? { circuit_breakers: policy.circuit_breakers } : {}),
      });
    }
  }
  return clusters;
}
