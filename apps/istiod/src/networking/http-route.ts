import { sidecarScope, visibleServicePorts } from '../model/sidecar-scope.ts';
import { isHttp } from '../model/protocol.ts';
import type { Proxy } from '../model/proxy.ts';
import { type InboundPort, type PushContext } from '../model/push-context.ts';
import { destinationRuleFor, portPolicy } from '../model/destination-rules.ts';
import type { MeshService } from '../model/service.ts';
import { virtualServiceFor } from '../model/virtual-services.ts';
import { inboundClusterName, outboundClusterName, passthroughCluster, typeUrls, type JsonObject } from './envoy-json.ts';
import { hashPolicy } from './traffic-policy.ts';
import { retryPolicy, virtualServiceRoutes, type RouteContext } from './virtual-service-route.ts';

/** The outbound route configurations, one per HTTP port in the mesh (named after the port,
 *  "9080"), or only the named ones; sorted by port. */
export function buildRoutes(push: PushContext, proxy: Proxy, names?: string[]): JsonObject[] {
  const byPort = new Map<number, MeshService[]>();
  for (const { service, port } of visibleServicePorts(push, proxy)) {
    // A sniffed port's HTTP traffic is routed too.
    if (!isHttp(port.protocol) && port.protocol !== 'AUTO') continue;
    const services = byPort.get(port.port);
    if (services) services.push(service);
    else byPort.set(port.port, [service]);
  }
  const wanted = names ? new Set(names) : undefined;
  return [...byPort]
    .filter(([port]) => !wanted || wanted.has(String(port)))
    .sort(([a], [b]) => a - b)
    .map(([port, services]) => outboundRouteConfiguration(port, services, { push, proxy, port }));
}

function outboundRouteConfiguration(port: number, services: MeshService[], ctx: RouteContext): JsonObject {
  const proxy = ctx.proxy;
  const virtualHosts: JsonObject[] = services.map((service) => ({
    name: `${service.hostname}:${port}`,
    domains: serviceDomains(service, port, proxy.namespace),
    routes: serviceRoutes(service, ctx),
    include_request_attempt_count: true,
  }));
  if (proxy.interceptionMode === 'REDIRECT' && sidecarScope(ctx.push, proxy).outboundTrafficPolicy === 'REGISTRY_ONLY') {
    // REGISTRY_ONLY: a host the proxy does not know gets 502, as Istio's block_all.
    virtualHosts.push({ name: 'block_all', domains: ['*'], routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }], include_request_attempt_count: true });
  } else if (proxy.interceptionMode === 'REDIRECT') {
    // With capture, traffic for hosts the mesh does not know still leaves, as Istio's default
    // ALLOW_ANY.
    virtualHosts.push({ name: 'allow_any', domains: ['*'], routes: [{ ...defaultOutboundRoute(passthroughCluster, undefined, ctx.push), name: 'allow_any' }], include_request_attempt_count: true });
  } else if (services.length === 1) {
    // Without capture the app reaches the service on this port at 127.0.0.1:PORT, so its
    // requests carry Host values such as "127.0.0.1:9080": when one service owns the port,
    // every host means that service. (Passing through to the original destination would loop
    // back into this listener.) With several, the Host header must name one of them.
    virtualHosts.push({ name: `loopback:${port}`, domains: ['*'], routes: serviceRoutes(services[0], ctx), include_request_attempt_count: true });
  }
  return { '@type': typeUrls.routeConfiguration, name: String(port), virtual_hosts: virtualHosts, validate_clusters: false };
}

/** The routes of a service's virtual host: those of the VirtualService that routes its host
 *  for this proxy, in order, or else the default route to the service. (Istio, too, falls back
 *  to the default only when no VirtualService route applies on this port.) */
function serviceRoutes(service: MeshService, ctx: RouteContext): JsonObject[] {
  const vs = virtualServiceFor(ctx.push.virtualServices, ctx.proxy, service.hostname);
  const routes = vs ? virtualServiceRoutes(vs, ctx) : [];
  if (routes.length > 0) return routes;
  const rule = destinationRuleFor(ctx.push, ctx.proxy.namespace, service.hostname, service.namespace);
  const hash = hashPolicy(portPolicy(rule, ctx.port).loadBalancer);
  return [defaultOutboundRoute(outboundClusterName(ctx.port, service.hostname), hash, ctx.push)];
}

/** The Host values that reach a service, as Istio lists them: the FQDN, the short names that
 *  resolve from the proxy's namespace, and the virtual IP, each bare and with the port. */
export function serviceDomains(service: MeshService, port: number, proxyNamespace: string): string[] {
  const names = [service.hostname];
  // A ServiceEntry host is only ever called by its own name (and its address).
  if (service.serviceEntry) return [...names, ...(service.clusterIP ? [service.clusterIP] : [])].flatMap((name) => [name, `${name}:${port}`]);
  if (service.namespace === proxyNamespace) names.push(service.name);
  names.push(`${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}`);
  if (service.clusterIP) names.push(service.clusterIP);
  return names.flatMap((name) => [name, `${name}:${port}`]);
}

/** The inline route configuration of an inbound HTTP port: everything goes to the app. */
export function inboundRouteConfiguration(inbound: InboundPort): JsonObject {
  const cluster = inboundClusterName(inbound.targetPort);
  return {
    name: cluster,
    virtual_hosts: [{ name: `inbound|http|${inbound.targetPort}`, domains: ['*'], routes: [defaultRoute(cluster)] }],
    validate_clusters: false,
  };
}

function defaultRoute(cluster: string): JsonObject {
  // A timeout of 0s turns the route timeout off, as Istio's default.
  return { name: 'default', match: { prefix: '/' }, route: { cluster, timeout: '0s' } };
}

/** The route of a service no VirtualService routes: to its cluster, with the default retry
 *  policy (the mesh config's, else Istio's; inbound routes have none) and the DestinationRule's
 *  hash key. */
function defaultOutboundRoute(cluster: string, hash: JsonObject[] | undefined, push: PushContext): JsonObject {
  const route = defaultRoute(cluster);
  const retry = retryPolicy(undefined, hash !== undefined, push.mesh.defaultHttpRetryPolicy);
  const action = { ...(route.route as JsonObject), ...(retry ? { retry_policy: retry } : {}), ...(hash ? { hash_policy: hash } : {}) };
  return { ...route, route: action };
}
