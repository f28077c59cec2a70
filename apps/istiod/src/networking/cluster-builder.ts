import type { DestinationRule } from '@mizzen/config';
import { visibleServicePorts } from '../model/sidecar-scope.ts';
import { isRouter, servesAutoPassthrough } from '../model/gateways.ts';
import { destinationRuleFor, portPolicy, type PortPolicy } from '../model/destination-rules.ts';
import type { MeshSettings } from '../model/mesh-config.ts';
import type { Protocol } from '../model/protocol.ts';
import type { Proxy } from '../model/proxy.ts';
import { inboundPorts, serviceEndpoints, type PushContext } from '../model/push-context.ts';
import type { Endpoint } from '../model/service-registry.ts';
import { selectorMatches, type MeshService, type ServicePort } from '../model/service.ts';
import { loadAssignment } from './endpoint-builder.ts';
import { sniDnatTargets } from './sni-dnat.ts';
import { clusterPolicyFields, protocolOptions, tcpKeepaliveFields } from './traffic-policy.ts';
import {
  adsConfigSource,
  blackHoleCluster,
  inboundClusterName,
  inboundPassthroughCluster,
  outboundClusterName,
  passthroughCluster,
  socketAddress,
  typeUrls,
  type JsonObject,
} from './envoy-json.ts';

/** The clusters a proxy needs: one per service port in the mesh, one more per subset that the
 *  port's DestinationRule defines, the fixed fallbacks, and one per inbound port of its own
 *  pod; sorted by name. */
export function buildClusters(push: PushContext, proxy: Proxy): JsonObject[] {
  const sidecar = !isRouter(proxy);
  const connectTimeout = push.mesh.connectTimeout;
  const outbound = visibleServicePorts(push, proxy).flatMap(({ service, port }) => {
    const rule = destinationRuleFor(push, proxy.namespace, service.hostname, service.namespace);
    return outboundClusters(push, service, port, rule, sidecar);
  });
  // An AUTO_PASSTHROUGH gateway also has each outbound cluster under its SNI name.
  const sniDnat = isRouter(proxy) && servesAutoPassthrough(push, proxy) ? sniDnatClusters(push, proxy, outbound) : [];
  // A gateway proxy serves no app of its own, so it has no inbound clusters.
  const inbound = (isRouter(proxy) ? [] : inboundPorts(push, proxy)).map((inboundPort) => {
    const name = inboundClusterName(inboundPort.targetPort);
    return {
      '@type': typeUrls.cluster,
      name,
      type: 'STATIC',
      connect_timeout: connectTimeout,
      // The app listens on the pod's loopback; Istio later binds to the pod IP instead.
      load_assignment: {
        cluster_name: name,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', inboundPort.targetPort) } }] }],
      },
      ...protocolOptions(undefined, inboundPort.protocol, true),
    };
  });
  const fixed = [
    // Traffic that must go nowhere: a cluster with no endpoints.
    { '@type': typeUrls.cluster, name: blackHoleCluster, type: 'STATIC', connect_timeout: connectTimeout },
    { '@type': typeUrls.cluster, name: passthroughCluster, type: 'ORIGINAL_DST', connect_timeout: connectTimeout, lb_policy: 'CLUSTER_PROVIDED' },
    {
      '@type': typeUrls.cluster,
      name: inboundPassthroughCluster,
      type: 'ORIGINAL_DST',
      connect_timeout: connectTimeout,
      lb_policy: 'CLUSTER_PROVIDED',
      // As in Istio: a source address the capture rules recognise, so the app's reply is not
      // captured again.
      upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } },
    },
  ];
  return [...outbound, ...sniDnat, ...inbound, ...fixed].sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : (a.name as string) > (b.name as string) ? 1 : 0));
}

/** The gateway's clusters named by SNI: copies of its outbound clusters under the SNI name. An
 *  EDS copy keeps the outbound cluster's `service_name`, so both share one load assignment. */
function sniDnatClusters(push: PushContext, proxy: Proxy, outbound: JsonObject[]): JsonObject[] {
  const byName = new Map(outbound.map((c) => [c.name as string, c]));
  return sniDnatTargets(push, proxy).flatMap(({ name, outboundName }) => {
    const cluster = byName.get(outboundName);
    if (!cluster) return [];
    const assignment = cluster.load_assignment as JsonObject | undefined;
    return [{ ...cluster, name, ...(assignment ? { load_assignment: { ...assignment, cluster_name: name } } : {}) }];
  });
}

const outboundByPush = new WeakMap<PushContext, Map<string, JsonObject[]>>();

/** The clusters of a service port, one more per subset of its DestinationRule. They depend on
 *  the port, the rule and whether the proxy is a sidecar only, so they are built once per push
 *  and shared by every proxy of the same kind that sees the same rule. */
function outboundClusters(push: PushContext, service: MeshService, port: ServicePort, rule: DestinationRule | undefined, sidecar: boolean): JsonObject[] {
  let cache = outboundByPush.get(push);
  if (!cache) {
    cache = new Map();
    outboundByPush.set(push, cache);
  }
  const key = `${sidecar ? 'sidecar' : 'router'}|${rule ? `${rule.metadata.namespace}/${rule.metadata.name}` : ''}|${port.port}|${service.hostname}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const endpoints = serviceEndpoints(push, service.hostname, port.port);
  const mesh = push.mesh;
  const clusters = [
    outboundCluster(outboundClusterName(port.port, service.hostname), service, port.protocol, portPolicy(rule, port.port), endpoints, sidecar, mesh),
    ...(rule?.spec.subsets ?? []).map((subset) =>
      outboundCluster(
        outboundClusterName(port.port, service.hostname, subset.name),
        service,
        port.protocol,
        portPolicy(rule, port.port, subset),
        endpoints.filter((e) => !subset.labels || selectorMatches(subset.labels, e.labels)),
        sidecar,
        mesh,
      ),
    ),
  ];
  const subsets = ['', ...(rule?.spec.subsets ?? []).map((subset) => subset.name)];
  clusters.forEach((cluster, i) => (cluster.metadata = outboundMetadata(service, rule, subsets[i])));
  cache.set(key, clusters);
  return clusters;
}

/** What Istio records on an outbound cluster: the service behind it, its subset, and the
 *  DestinationRule that shaped it, which tools (`proxy-config clusters`) read back. */
function outboundMetadata(service: MeshService, rule: DestinationRule | undefined, subset: string): JsonObject {
  const istio: JsonObject = {};
  if (rule) istio.config = `/apis/networking.istio.io/v1/namespaces/${rule.metadata.namespace}/destination-rule/${rule.metadata.name}`;
  istio.services = [{ host: service.hostname, name: service.name, namespace: service.namespace }];
  if (subset) istio.subset = subset;
  return { filter_metadata: { istio } };
}

/** The cluster of a service port (or of one subset of it), with the traffic policy that
 *  applies there: EDS, or for a ServiceEntry resolved by DNS a STRICT_DNS cluster of its
 *  endpoints' names, or with resolution NONE the original destination. lb_policy is left out
 *  unless the policy sets one: ROUND_ROBIN is its default, and canonical Envoy JSON omits
 *  defaults. The mesh config's connect timeout and TCP keepalive apply where the policy sets
 *  none (keepalive field by field, as Istio merges them). */
function outboundCluster(name: string, service: MeshService, protocol: Protocol, policy: PortPolicy, endpoints: Endpoint[], sidecar: boolean, mesh: MeshSettings): JsonObject {
  const cluster: JsonObject = {
    '@type': typeUrls.cluster,
    name,
    ...discovery(name, service, endpoints),
    connect_timeout: mesh.connectTimeout,
    // Set here first to keep the field in its place; the policy may rewrite it.
    ...protocolOptions(undefined, protocol, sidecar),
    ...clusterPolicyFields(policy, protocol, sidecar),
  };
  if (mesh.tcpKeepalive) {
    const options = (cluster.upstream_connection_options ?? {}) as JsonObject;
    cluster.upstream_connection_options = { ...options, tcp_keepalive: { ...tcpKeepaliveFields(mesh.tcpKeepalive), ...(options.tcp_keepalive as JsonObject | undefined) } };
  }
  if (service.resolution === 'NONE') Object.assign(cluster, { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' });
  if (cluster.type === 'ORIGINAL_DST') {
    delete cluster.eds_cluster_config;
    delete cluster.load_assignment;
  }
  return cluster;
}

function discovery(name: string, service: MeshService, endpoints: Endpoint[]): JsonObject {
  if (service.resolution === 'DNS') {
    const { '@type': _type, ...assignment } = loadAssignment(name, endpoints);
    return { type: 'STRICT_DNS', load_assignment: assignment, dns_lookup_family: 'V4_ONLY', respect_dns_ttl: true };
  }
  if (service.resolution === 'NONE') return { type: 'ORIGINAL_DST' };
  return { type: 'EDS', eds_cluster_config: { service_name: name, eds_config: adsConfigSource() } };
}
