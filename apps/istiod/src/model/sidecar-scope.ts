// What a sidecar proxy may see, as Istio's Sidecar resource scopes it: the services its egress
// hosts name (and that are exported to its namespace), and where unknown traffic goes.
import type { IstioEgressListener, Sidecar } from '@mizzen/config';
import { hostMatches, isExportedTo } from './host.ts';
import type { Proxy } from './proxy.ts';
import { outboundServicePorts, proxyLabels, type PushContext } from './push-context.ts';
import type { MeshService, ServicePort } from './service.ts';
import { selectorMatches } from './service.ts';

export interface SidecarScope {
  /** The Sidecar that applies, if any. */
  sidecar?: Sidecar;
  /** REGISTRY_ONLY sends traffic for unknown hosts to the black hole. */
  outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
}

/** The Sidecar of a proxy, chosen as Istio does: one in its namespace whose workloadSelector
 *  matches its labels, else its namespace's Sidecar without selector, else the root
 *  namespace's without selector (the mesh default; the root namespace is the mesh config's).
 *  Ties go by name. Gateways have none. */
export function sidecarFor(push: PushContext, proxy: Proxy): Sidecar | undefined {
  if (proxy.type === 'router') return undefined;
  const labels = proxyLabels(push, proxy);
  const inNamespace = (ns: string) => push.sidecars.filter((s) => (s.metadata.namespace ?? 'default') === ns);
  const own = inNamespace(proxy.namespace);
  return (
    own.find((s) => s.spec.workloadSelector?.labels && selectorMatches(s.spec.workloadSelector.labels, labels)) ??
    own.find((s) => !s.spec.workloadSelector) ??
    inNamespace(push.mesh.rootNamespace).find((s) => !s.spec.workloadSelector)
  );
}

/** The Sidecar of a proxy and its outbound traffic policy: the Sidecar's own, else the mesh
 *  config's. */
export function sidecarScope(push: PushContext, proxy: Proxy): SidecarScope {
  const sidecar = sidecarFor(push, proxy);
  return { sidecar, outboundTrafficPolicy: sidecar?.spec.outboundTrafficPolicy?.mode ?? push.mesh.outboundTrafficPolicy };
}

/** Whether an egress host ("ns/host") admits a service. "." is the Sidecar's namespace, or the
 *  proxy's for the mesh default in the root namespace; "~" admits nothing. */
export function egressHostAdmits(egressHost: string, service: MeshService, scope: EgressScope): boolean {
  const { sidecarNamespace, proxyNamespace, rootNamespace } = scope;
  const slash = egressHost.indexOf('/');
  const namespace = egressHost.slice(0, slash);
  const host = egressHost.slice(slash + 1);
  if (namespace === '~') return false;
  const wanted = namespace === '.' ? (sidecarNamespace === rootNamespace ? proxyNamespace : sidecarNamespace) : namespace;
  if (wanted !== '*' && wanted !== service.namespace) return false;
  return hostMatches(host, service.hostname);
}

/** Where a Sidecar's egress hosts are read: its namespace, the proxy's, the mesh's root. */
export interface EgressScope {
  sidecarNamespace: string;
  proxyNamespace: string;
  rootNamespace: string;
}

function listenerAdmits(listener: IstioEgressListener, service: MeshService, port: number, scope: EgressScope): boolean {
  if (listener.port && listener.port.number !== port) return false;
  return listener.hosts.some((h) => egressHostAdmits(h, service, scope));
}

const visibleByPush = new WeakMap<PushContext, Map<string, readonly { service: MeshService; port: ServicePort }[]>>();

/** The service ports a proxy gets outbound config for: exported to its namespace and, under a
 *  Sidecar with egress listeners, named by one of them (on that port, for a listener with a
 *  port). Worked out once per push for each namespace and Sidecar, which many proxies share. */
export function visibleServicePorts(push: PushContext, proxy: Proxy): readonly { service: MeshService; port: ServicePort }[] {
  const sidecar = sidecarFor(push, proxy);
  const key = `${proxy.namespace}|${sidecar ? `${sidecar.metadata.namespace}/${sidecar.metadata.name}` : ''}`;
  let byScope = visibleByPush.get(push);
  if (!byScope) {
    byScope = new Map();
    visibleByPush.set(push, byScope);
  }
  let visible = byScope.get(key);
  if (!visible) {
    const egress = sidecar?.spec.egress ?? [];
    const scope = { sidecarNamespace: sidecar?.metadata.namespace ?? proxy.namespace, proxyNamespace: proxy.namespace, rootNamespace: push.mesh.rootNamespace };
    visible = outboundServicePorts(push).filter(
      ({ service, port }) =>
        isExportedTo(service.exportTo, service.namespace, proxy.namespace) && (egress.length === 0 || egress.some((l) => listenerAdmits(l, service, port.port, scope))),
    );
    byScope.set(key, visible);
  }
  return visible;
}
