// A VirtualService's TCP routes, for the tcp_proxy of a TCP service port: the first route whose
// match applies on this port decides the destination, or the weighted destinations.
import type { L4MatchAttributes, TCPRoute } from '@mizzen/config';
import type { MeshService } from '../model/service.ts';
import { selectorMatches } from '../model/service.ts';
import { meshGateway, virtualServiceFor } from '../model/virtual-services.ts';
import { outboundClusterName, type JsonObject } from './envoy-json.ts';
import { clusterFor, type RouteContext } from './virtual-service-route.ts';

/** The tcp_proxy fields that say where a connection to a service port goes: `cluster`, or
 *  `weighted_clusters` when a VirtualService splits it. */
export function tcpProxyTarget(service: MeshService, ctx: RouteContext): JsonObject {
  const vs = virtualServiceFor(ctx.push.virtualServices, ctx.proxy, service.hostname, 'tcp');
  const route = vs?.spec.tcp?.find((r) => routeApplies(r, ctx));
  const fallback = { cluster: outboundClusterName(ctx.port, service.hostname) };
  if (!vs || !route?.route?.length) return fallback;
  const namespace = vs.metadata.namespace ?? 'default';
  const destinations = route.route.filter((d, _, all) => all.length === 1 || (d.weight ?? 0) > 0);
  if (destinations.length === 1) return { cluster: clusterFor(destinations[0].destination, namespace, ctx) };
  return { weighted_clusters: { clusters: destinations.map((d) => ({ name: clusterFor(d.destination, namespace, ctx), weight: d.weight ?? 0 })) } };
}

function routeApplies(route: TCPRoute, ctx: RouteContext): boolean {
  if (!route.match || route.match.length === 0) return true;
  return route.match.some((m) => matchApplies(m, ctx));
}

function matchApplies(match: L4MatchAttributes, ctx: RouteContext): boolean {
  if (match.port !== undefined && match.port !== ctx.port) return false;
  if (match.sourceLabels && !selectorMatches(match.sourceLabels, ctx.proxy.labels)) return false;
  if (match.sourceNamespace !== undefined && match.sourceNamespace !== ctx.proxy.namespace) return false;
  if (match.gateways && match.gateways.length > 0 && !match.gateways.includes(meshGateway)) return false;
  // destinationSubnets is not checked yet: every connection on this service port matches it.
  return true;
}
