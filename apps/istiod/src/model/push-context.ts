import type { ConfigStore, DestinationRule, Gateway, KubeObject, Pod, Sidecar, VirtualService } from '@mizzen/config';
import type { Proxy } from './proxy.ts';
import { meshAccessLog, meshConfigNamespace, type MeshAccessLog } from '../networking/access-log.ts';
import { meshSettings, type MeshSettings } from './mesh-config.ts';
import type { Protocol } from './protocol.ts';
import { buildServiceRegistry, endpointKey, resolveTargetPort, withEndpointsOf, type Endpoint, type ServiceRegistry } from './service-registry.ts';
import { selectorMatches, type MeshService, type ServicePort } from './service.ts';

/** An immutable snapshot of everything the generators read, rebuilt on each config change. */
export interface PushContext {
  version: string;
  registry: ServiceRegistry;
  pods: Pod[];
  virtualServices: VirtualService[];
  destinationRules: DestinationRule[];
  gateways: Gateway[];
  sidecars: Sidecar[];
  /** Kubernetes Secrets, for the credentials of gateways' TLS servers. */
  secrets: KubeObject[];
  /** The mesh config's access log (the `istio` ConfigMap), when it asks for one. */
  accessLog?: MeshAccessLog;
  /** The mesh config's mesh-wide settings, Istio's defaults where it says nothing. */
  mesh: MeshSettings;
}

export function buildPushContext(store: ConfigStore, version: string): PushContext {
  const registry = buildServiceRegistry(store);
  const configMaps = store.list('ConfigMap', meshConfigNamespace);
  return {
    version,
    registry,
    pods: store.list('Pod'),
    // The loader has checked these kinds field by field, so they have the typed shape.
    virtualServices: store.list('VirtualService') as VirtualService[],
    destinationRules: store.list('DestinationRule') as DestinationRule[],
    gateways: store.list('Gateway') as Gateway[],
    sidecars: store.list('Sidecar') as Sidecar[],
    secrets: store.list('Secret'),
    accessLog: meshAccessLog(configMaps, registry.warnings),
    mesh: meshSettings(configMaps, registry.warnings),
  };
}

export function serviceEndpoints(push: PushContext, hostname: string, port: number): Endpoint[] {
  return push.registry.endpoints.get(endpointKey(hostname, port)) ?? [];
}

const servicesByPush = new WeakMap<PushContext, Map<string, MeshService[]>>();

/** The services of one namespace, indexed once per push. */
export function servicesIn(push: PushContext, namespace: string): MeshService[] {
  let byNamespace = servicesByPush.get(push);
  if (!byNamespace) {
    byNamespace = new Map();
    for (const service of push.registry.services) {
      const list = byNamespace.get(service.namespace);
      if (list) list.push(service);
      else byNamespace.set(service.namespace, [service]);
    }
    servicesByPush.set(push, byNamespace);
  }
  return byNamespace.get(namespace) ?? [];
}

const podsByPush = new WeakMap<PushContext, Map<string, Pod>>();

/** The Pod object of a proxy, when the config knows it (found by map, once indexed per push). */
export function proxyPod(push: PushContext, proxy: Proxy): Pod | undefined {
  let pods = podsByPush.get(push);
  if (!pods) {
    pods = new Map(push.pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
    podsByPush.set(push, pods);
  }
  return pods.get(`${proxy.namespace}/${proxy.podName}`);
}

/** A proxy's workload labels: the Pod object's when known, else those of its node. */
export function proxyLabels(push: PushContext, proxy: Proxy): Record<string, string> {
  return proxyPod(push, proxy)?.metadata.labels ?? proxy.labels;
}

/** A port on which the proxy's own pod serves, reached from outside through the proxy. */
export interface InboundPort {
  targetPort: number;
  protocol: Protocol;
  /** The services and their ports that lead here. */
  services: { service: MeshService; port: ServicePort }[];
}

/** The ports of the services that select the proxy's pod, one per target port, in port order.
 *  Labels and container ports come from the Pod object when it is known, else from the node. */
export function inboundPorts(push: PushContext, proxy: Proxy): InboundPort[] {
  const pod = proxyPod(push, proxy);
  const labels = proxyLabels(push, proxy);
  const byTarget = new Map<number, InboundPort>();
  for (const service of servicesIn(push, proxy.namespace)) {
    if (!selectorMatches(service.selector, labels)) continue;
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      const targetPort = resolveTargetPort(port, pod);
      if (targetPort === undefined) continue;
      const entry = byTarget.get(targetPort) ?? { targetPort, protocol: port.protocol, services: [] };
      entry.services.push({ service, port });
      byTarget.set(targetPort, entry);
    }
  }
  return [...byTarget.values()].sort((a, b) => a.targetPort - b.targetPort);
}

const outboundPortsByPush = new WeakMap<PushContext, readonly { service: MeshService; port: ServicePort }[]>();

/** Every TCP-carried service port in the mesh, for outbound config, sorted by port then host.
 *  Worked out once per push context: every proxy's CDS, LDS and RDS read the same list. */
export function outboundServicePorts(push: PushContext): readonly { service: MeshService; port: ServicePort }[] {
  let ports = outboundPortsByPush.get(push);
  if (!ports) {
    ports = sortedOutboundServicePorts(push);
    outboundPortsByPush.set(push, ports);
  }
  return ports;
}

function sortedOutboundServicePorts(push: PushContext): { service: MeshService; port: ServicePort }[] {
  return push.registry.services
    .flatMap((service) => service.ports.filter((port) => port.protocol !== 'UDP').map((port) => ({ service, port })))
    .sort((a, b) => a.port.port - b.port.port || (a.service.hostname < b.service.hostname ? -1 : a.service.hostname > b.service.hostname ? 1 : 0));
}

/** The push context after only the pods behind some services changed: the same config, the
 *  registry with those services' endpoints worked out again, and the pods as they are now. */
export function withChangedEndpoints(previous: PushContext, store: ConfigStore, version: string, hostnames: Iterable<string>): PushContext {
  return { ...previous, version, registry: withEndpointsOf(previous.registry, store, hostnames), pods: store.list('Pod') };
}
