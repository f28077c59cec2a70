// A VirtualService's TCP routes, for the tcp_proxy of a TCP service port: a destination per
// destination-subnet match, and the first route that applies to every connection for the rest.
// Its TLS routes, for a TLS service port: a destination per SNI match.
import type { L4MatchAttributes, TCPRoute } from '@mizzen/config';
import { destinationRuleFor, portPolicy } from '../model/destination-rules.ts';
import { resolveHost } from '../model/host.ts';
import type { MeshService } from '../model/service.ts';
import { selectorMatches } from '../model/service.ts';
import { virtualServiceFor } from '../model/virtual-services.ts';
import { outboundClusterName, type JsonObject } from './envoy-json.ts';
import { clusterFor, destinationPort, matchesGateway, type RouteContext } from './virtual-service-route.ts';

/** Where the connections to a TCP service port go, as Istio builds its chains from the tcp
 *  routes of the VirtualService that routes it, in order: a route whose applying match names
 *  destination subnets gets a chain for them (`prefix_ranges`); the first route that applies
 *  without them (or has no match) takes every other connection and ends the list; without one,
 *  the service's own cluster does. Targets are `cluster` or `weighted_clusters`, a single
 *  cluster with a `source_ip` hash_policy when its DestinationRule hashes by source IP. */
export function tcpRouteChains(service: MeshService, ctx: RouteContext): { match?: JsonObject; target: JsonObject }[] {
  const vs = virtualServiceFor(ctx.push.virtualServices, ctx.proxy, service.hostname, 'tcp');
  const namespace = vs?.metadata.namespace ?? 'default';
  const chains: { match?: JsonObject; target: JsonObject }[] = [];
  const seen = new Set<string>();
  for (const route of vs?.spec.tcp ?? []) {
    const applying = route.match?.length ? route.match.filter((m) => l4MatchApplies(m, namespace, ctx)) : [{}];
    if (applying.length === 0) continue;
    const target = routeTarget(route, namespace, ctx);
    if (!target) continue;
    if (applying.some((m: L4MatchAttributes) => !m.destinationSubnets?.length)) return [...chains, { target }];
    const ranges = applying.flatMap((m) => m.destinationSubnets ?? []).map(cidrRange);
    const key = JSON.stringify(ranges);
    // Envoy refuses two chains with one match; the first route keeps it.
    if (seen.has(key)) continue;
    seen.add(key);
    chains.push({ match: { prefix_ranges: ranges }, target });
  }
  return [...chains, { target: { cluster: outboundClusterName(ctx.port, service.hostname), ...sourceIpHash(service.hostname, ctx.port, undefined, ctx) } }];
}

/** Where a connection to a TCP service port goes when nothing but the port tells it apart (a
 *  sniffed port's TCP): the chain of `tcpRouteChains` that matches every connection. */
export function tcpProxyTarget(service: MeshService, ctx: RouteContext): JsonObject {
  const chains = tcpRouteChains(service, ctx);
  return chains[chains.length - 1].target;
}

/** A runtime match of a TLS route (SNI names, destination subnets) and its tcp_proxy target. */
export interface TlsRouteChain {
  match: JsonObject;
  target: JsonObject;
}

/** The TLS routes of the VirtualService that routes a TLS service port for a sidecar, as Istio
 *  builds them: one per match that applies here (port, source labels and namespace, the mesh
 *  gateway), matched at run time by SNI and, when it names them, destination subnets; of equal
 *  runtime matches the first wins. Empty without such a VirtualService. */
export function tlsRouteChains(service: MeshService, ctx: RouteContext): TlsRouteChain[] {
  const vs = virtualServiceFor(ctx.push.virtualServices, ctx.proxy, service.hostname, 'tls');
  if (!vs) return [];
  const namespace = vs.metadata.namespace ?? 'default';
  const seen = new Set<string>();
  const chains: TlsRouteChain[] = [];
  for (const route of vs.spec.tls ?? []) {
    const target = routeTarget(route, namespace, ctx);
    for (const match of route.match) {
      if (!target || !l4MatchApplies(match, namespace, ctx)) continue;
      const runtime: JsonObject = {
        ...(match.destinationSubnets?.length ? { prefix_ranges: match.destinationSubnets.map(cidrRange) } : {}),
        server_names: match.sniHosts,
      };
      const key = JSON.stringify(runtime);
      if (seen.has(key)) continue;
      seen.add(key);
      chains.push({ match: runtime, target });
    }
  }
  return chains;
}

/** tcp_proxy's `hash_policy` when the destination's DestinationRule (the subset's, then the
 *  port's, then the rule's policy) hashes by source IP, as Istio sets it; it has no other
 *  hash for TCP, and with several weighted destinations it sets none. */
function sourceIpHash(host: string, port: number, subset: string | undefined, ctx: RouteContext): JsonObject {
  const service = ctx.push.registry.byHostname.get(host);
  const rule = destinationRuleFor(ctx.push, ctx.proxy.namespace, host, service?.namespace);
  const subsetRule = subset === undefined ? undefined : rule?.spec.subsets?.find((s) => s.name === subset);
  return portPolicy(rule, port, subsetRule).loadBalancer?.consistentHash?.useSourceIp ? { hash_policy: [{ source_ip: {} }] } : {};
}

/** "10.0.0.0/8", or an address alone, as Envoy's CidrRange. */
function cidrRange(subnet: string): JsonObject {
  const [address, bits] = subnet.split('/');
  return { address_prefix: address, prefix_len: bits === undefined ? (address.includes(':') ? 128 : 32) : Number(bits) };
}

/** Whether a TCP or TLS route applies where it is built: no match, or one match that does. */
export function routeApplies(route: TCPRoute, vsNamespace: string, ctx: RouteContext): boolean {
  if (!route.match || route.match.length === 0) return true;
  return route.match.some((m) => l4MatchApplies(m, vsNamespace, ctx));
}

export function l4MatchApplies(match: L4MatchAttributes, vsNamespace: string, ctx: RouteContext): boolean {
  if (match.port !== undefined && match.port !== ctx.port) return false;
  if (match.sourceLabels && !selectorMatches(match.sourceLabels, ctx.proxy.labels)) return false;
  if (match.sourceNamespace !== undefined && match.sourceNamespace !== ctx.proxy.namespace) return false;
  // destinationSubnets is a runtime match: the filter chain checks it.
  return matchesGateway(match.gateways, vsNamespace, ctx);
}

/** The tcp_proxy destination fields (`cluster` or `weighted_clusters`) of a TCP or TLS route. */
export function routeTarget(route: TCPRoute, vsNamespace: string, ctx: RouteContext): JsonObject | undefined {
  if (!route.route?.length) return undefined;
  const destinations = route.route.filter((d, _, all) => all.length === 1 || (d.weight ?? 0) > 0);
  if (destinations.length === 1) {
    const { destination } = destinations[0];
    const host = resolveHost(destination.host, vsNamespace);
    return { cluster: clusterFor(destination, vsNamespace, ctx), ...sourceIpHash(host, destinationPort(destination, host, ctx), destination.subset, ctx) };
  }
  return { weighted_clusters: { clusters: destinations.map((d) => ({ name: clusterFor(d.destination, vsNamespace, ctx), weight: d.weight ?? 0 })) } };
}
