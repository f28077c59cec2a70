// A VirtualService's TCP routes, for the tcp_proxy of a TCP service port: the first route whose
// match applies on this port decides the destination, or the weighted destinations.
import type { L4MatchAttributes, TCPRoute } from '@mizzen/config';
import type { MeshService } from '../model/service.ts';
import { selectorMatches } from '../model/service.ts';
import { virtualServiceFor } from '../model/virtual-services.ts';
import { outboundClusterName, type JsonObject } from './envoy-json.ts';
import { clusterFor, matchesGateway, type RouteContext } from './virtual-service-route.ts';

/** The tcp_proxy fields that say where a connection to a service port goes: `cluster`, or
 *  `weighted_clusters` when a VirtualService splits it. */
export function tcpProxyTarget(service: MeshService, ctx: RouteContext): JsonObject {
  const vs = virtualServiceFor(ctx.push.virtualServices, ctx.proxy, service.hostname, 'tcp');
  const route = vs?.spec.tcp?.find((r) => routeApplies(r, vs.metadata.namespace ?? 'default', ctx));
  const fallback = { cluster: outboundClusterName(ctx.port, service.hostname) };
  if (!vs || !route) return fallback;
  return routeTarget(route, vs.metadata.namespace ?? 'default', ctx) ?? fallback;
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
  // destinationSubnets is not checked yet: every connection on this service port matches it.
  return matchesGateway(match.gateways, vsNamespace, ctx);
}

/** The tcp_proxy destination fields (`cluster` or `weighted_clusters`) of a TCP or TLS route. */
export function routeTarget(route: TCPRoute, vsNamespace: string, ctx: RouteContext): JsonObject | undefined {
  if (!route.route?.length) return undefined;
  const destinations = route.route.filter((d, _, all) => all.length === 1 || (d.weight ?? 0) > 0);
  if (destinations.length === 1) return { cluster: clusterFor(destinations[0].destination, vsNamespace, ctx) };
  return { weighted_clusters: { clusters: destinations.map((d) => ({ name: clusterFor(d.destination, vsNamespace, ctx), weight: d.weight ?? 0 })) } };
}
