import type { VirtualService } from '@mizzen/config';
import type { Proxy } from './proxy.ts';
import { hostMatches, hostSpecificity, isExportedTo, resolveHost } from './host.ts';

/** The gateway name that stands for every sidecar of the mesh. */
export const meshGateway = 'mesh';

/** Whether a VirtualService routes the sidecars' traffic: its gateways (default "mesh") name
 *  the mesh, and it is exported to the proxy's namespace. */
export function appliesToSidecar(vs: VirtualService, proxy: Proxy): boolean {
  const gateways = vs.spec.gateways && vs.spec.gateways.length > 0 ? vs.spec.gateways : [meshGateway];
  return gateways.includes(meshGateway) && isExportedTo(vs.spec.exportTo, vs.metadata.namespace ?? 'default', proxy.namespace);
}

/** The VirtualService that routes a host (its HTTP, TCP or TLS traffic) for a sidecar. When several claim the host, as in
 *  Istio, one wins: those of the proxy's own namespace first, an exact host before a wildcard,
 *  then by namespace and name. */
const chosenByList = new WeakMap<readonly VirtualService[], Map<string, VirtualService | undefined>>();

export function virtualServiceFor(services: readonly VirtualService[], proxy: Proxy, hostname: string, routes: 'http' | 'tcp' | 'tls' = 'http'): VirtualService | undefined {
  // The choice depends on the proxy's namespace only, so it is made once per push for each.
  let chosen = chosenByList.get(services);
  if (!chosen) {
    chosen = new Map();
    chosenByList.set(services, chosen);
  }
  const key = `${proxy.namespace}\0${hostname}\0${routes}`;
  if (chosen.has(key)) return chosen.get(key);
  const vs = chooseVirtualService(services, proxy, hostname, routes);
  chosen.set(key, vs);
  return vs;
}

function chooseVirtualService(services: readonly VirtualService[], proxy: Proxy, hostname: string, routes: 'http' | 'tcp' | 'tls'): VirtualService | undefined {
  let best: { vs: VirtualService; rank: number } | undefined;
  for (const vs of candidatesFor(services, hostname)) {
    if (!appliesToSidecar(vs, proxy) || !vs.spec[routes]?.length) continue;
    const ns = vs.metadata.namespace ?? 'default';
    const matching = (vs.spec.hosts ?? []).map((h) => resolveHost(h, ns)).filter((h) => hostMatches(h, hostname));
    if (matching.length === 0) continue;
    const rank = (ns === proxy.namespace ? 0 : 10000) + Math.min(...matching.map(hostSpecificity));
    if (!best || rank < best.rank) best = { vs, rank };
  }
  return best?.vs;
}

const hostIndexByList = new WeakMap<readonly VirtualService[], { exact: Map<string, number[]>; wildcard: number[] }>();

/** The VirtualServices that may name a host, in list order: those with that exact host and
 *  those with a wildcard. Indexed once per list (per push), so choosing for every host of a
 *  large mesh does not read every VirtualService each time. */
function candidatesFor(services: readonly VirtualService[], hostname: string): VirtualService[] {
  let index = hostIndexByList.get(services);
  if (!index) {
    index = { exact: new Map(), wildcard: [] };
    services.forEach((vs, i) => {
      const ns = vs.metadata.namespace ?? 'default';
      for (const host of new Set((vs.spec.hosts ?? []).map((h) => resolveHost(h, ns)))) {
        if (host.includes('*')) index?.wildcard.push(i);
        else index?.exact.set(host, [...(index.exact.get(host) ?? []), i]);
      }
    });
    hostIndexByList.set(services, index);
  }
  const positions = new Set([...(index.exact.get(hostname) ?? []), ...index.wildcard]);
  return [...positions].sort((a, b) => a - b).map((i) => services[i]);
}
