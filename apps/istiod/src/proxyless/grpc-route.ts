import { destinationRuleFor, portPolicy } from '../model/destination-rules.ts';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { virtualServiceFor } from '../model/virtual-services.ts';
import { outboundClusterName, typeUrls, type JsonObject } from '../networking/envoy-json.ts';
import { serviceDomains } from '../networking/http-route.ts';
import { hashPolicy } from '../networking/traffic-policy.ts';
import { faultFilterName, virtualServiceRoutes } from '../networking/virtual-service-route.ts';
import { resolveTargets, type ServiceTarget } from './service-target.ts';

/** The RouteConfiguration behind each gRPC listener, named as the listener: one virtual host
 *  for the service with the routes of the VirtualService that claims it (the same translation
 *  sidecars get), or the default route to the service. */
export function buildGrpcRoutes(push: PushContext, proxy: Proxy, names: string[]): JsonObject[] {
  return resolveTargets(push, proxy, names).map((target) => ({
    '@type': typeUrls.routeConfiguration,
    name: target.name,
    virtual_hosts: [
      {
        name: `${target.service.hostname}:${target.port.port}`,
        domains: [...new Set([target.name, ...serviceDomains(target.service, target.port.port, proxy.namespace)])],
        routes: targetRoutes(push, proxy, target),
      },
    ],
  }));
}

function targetRoutes(push: PushContext, proxy: Proxy, target: ServiceTarget): JsonObject[] {
  const ctx = { push, proxy, port: target.port.port };
  const vs = virtualServiceFor(push.virtualServices, proxy, target.service.hostname);
  const routes = (vs ? virtualServiceRoutes(vs, ctx) : []).flatMap(forGrpc);
  if (routes.length > 0) return routes;
  const rule = destinationRuleFor(push, proxy.namespace, target.service.hostname, target.service.namespace);
  const hash = hashPolicy(portPolicy(rule, target.port.port).loadBalancer);
  return [{ name: 'default', match: { prefix: '/' }, route: { cluster: outboundClusterName(target.port.port, target.service.hostname), ...(hash ? { hash_policy: hash } : {}) } }];
}

/** A sidecar's route as a gRPC client can take it. gRPC rejects a whole RouteConfiguration
 *  that holds a redirect or a direct response, or config for a filter it does not have, so
 *  such routes are left out and of the per-route filter config only fault injection is kept
 *  (CORS means nothing to a gRPC client). */
function forGrpc(route: JsonObject): JsonObject[] {
  if (!route.route) return [];
  const { typed_per_filter_config: perFilter, ...rest } = route;
  const fault = (perFilter as JsonObject | undefined)?.[faultFilterName];
  return [fault ? { ...rest, typed_per_filter_config: { [faultFilterName]: fault } } : rest];
}
