import { TypeUrl, type JsonObject } from '@mizzen/xds';
import { buildRoutes } from '../networking/http-route.ts';
import { isRouter } from '../model/gateways.ts';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { sidecarFor } from '../model/sidecar-scope.ts';
import { buildGatewayRoutes } from '../networking/gateway-builder.ts';
import type { Generator } from './generator.ts';

export const rds: Generator = {
  shortName: 'RDS',
  typeUrl: TypeUrl.RouteConfiguration,
  generate: (push, proxy, names) => {
    if (isRouter(proxy)) return buildGatewayRoutes(push, proxy, names);
    const wanted = new Set(names);
    return scopeRoutes(push, proxy).filter((route) => wanted.has(route.name as string));
  },
};

const routesByPush = new WeakMap<PushContext, Map<string, JsonObject[]>>();

/**
 * A sidecar's outbound routes depend on its scope, not on the proxy itself: its namespace
 * (short names, exportTo, which VirtualService wins), its Sidecar, whether its traffic is
 * captured, and its labels only when a VirtualService matches on source labels. So they are
 * built once per push for each scope, and every proxy of the scope gets the same objects (and
 * so the same encoding), as Istio caches by SidecarScope.
 */
function scopeRoutes(push: PushContext, proxy: Proxy): JsonObject[] {
  let byScope = routesByPush.get(push);
  if (!byScope) {
    byScope = new Map();
    routesByPush.set(push, byScope);
  }
  const key = scopeKey(push, proxy);
  let routes = byScope.get(key);
  if (!routes) {
    routes = buildRoutes(push, proxy);
    byScope.set(key, routes);
  }
  return routes;
}

function scopeKey(push: PushContext, proxy: Proxy): string {
  const sidecar = sidecarFor(push, proxy);
  const labels = matchesSourceLabels(push) ? JSON.stringify(Object.entries(proxy.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : '';
  return [proxy.namespace, sidecar ? `${sidecar.metadata.namespace}/${sidecar.metadata.name}` : '', proxy.interceptionMode, labels].join('\0');
}

const sourceLabelsByPush = new WeakMap<PushContext, boolean>();

/** Whether any VirtualService route matches on the client's labels (worked out once per push). */
function matchesSourceLabels(push: PushContext): boolean {
  let found = sourceLabelsByPush.get(push);
  if (found === undefined) {
    found = push.virtualServices.some((vs) => [...(vs.spec.http ?? []), ...(vs.spec.tcp ?? [])].some((route) => (route.match ?? []).some((m) => m.sourceLabels !== undefined)));
    sourceLabelsByPush.set(push, found);
  }
  return found;
}
