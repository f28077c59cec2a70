import type { ConfigStore, Pod, ServiceEntry } from '@mizzen/config';
import { serviceEntryServices } from './service-entry.ts';
import { meshService, selectorMatches, type MeshService, type ServicePort } from './service.ts';

/** One pod behind one service port. */
export interface Endpoint {
  /** The pod's IP. */
  address: string;
  /** The resolved target port on the pod. */
  port: number;
  podName: string;
  namespace: string;
  labels: Record<string, string>;
  serviceAccount: string;
  /** A ServiceEntry endpoint's weight; absent is 1. */
  weight?: number;
}

export interface ServiceRegistry {
  services: MeshService[];
  /** The same services by hostname. */
  byHostname: Map<string, MeshService>;
  /** By `${hostname}|${servicePort}`. */
  endpoints: Map<string, Endpoint[]>;
  /** What could not be resolved (a named target port a pod does not declare, ...). */
  warnings: string[];
}

export function endpointKey(hostname: string, port: number): string {
  return `${hostname}|${port}`;
}

/** Builds the services and their endpoints from the pods that each selector matches. */
export function buildServiceRegistry(store: ConfigStore): ServiceRegistry {
  const services = store.list('Service').map(meshService);
  const pods = store.list('Pod');
  const endpoints = new Map<string, Endpoint[]>();
  const warnings: string[] = [];
  const podsByNamespace = new Map<string, Pod[]>();
  for (const pod of pods) {
    const namespace = pod.metadata.namespace ?? 'default';
    const list = podsByNamespace.get(namespace);
    if (list) list.push(pod);
    else podsByNamespace.set(namespace, [pod]);
  }
  for (const service of services) {
    for (const [port, list] of podEndpoints(service, podsByNamespace.get(service.namespace) ?? [], warnings)) endpoints.set(endpointKey(service.hostname, port), list);
  }
  const byHostname = new Map(services.map((s) => [s.hostname, s]));
  for (const entry of store.list('ServiceEntry') as ServiceEntry[]) {
    for (const { service, endpoints: byPort } of serviceEntryServices(entry, pods).services) {
      // A Kubernetes Service keeps its host; the first ServiceEntry (by namespace and name) wins
      // among entries.
      const existing = byHostname.get(service.hostname);
      if (existing) {
        warnings.push(`ServiceEntry ${service.namespace}/${entry.metadata.name}: host ${service.hostname} is already ${existing.serviceEntry ? `declared by ServiceEntry ${existing.namespace}/${existing.serviceEntry.name}` : 'a Kubernetes Service'}, ignored`);
        continue;
      }
      services.push(service);
      byHostname.set(service.hostname, service);
      for (const [port, list] of byPort) endpoints.set(endpointKey(service.hostname, port), list);
    }
  }
  return { services, byHostname, endpoints, warnings };
}

/** The endpoints of a Kubernetes Service, per service port: the running pods its selector
 *  matches, at the resolved target port. */
function podEndpoints(service: MeshService, namespacePods: readonly Pod[], warnings: string[]): Map<number, Endpoint[]> {
  // Pods without an IP are not running yet, so they are not endpoints.
  const selected = namespacePods.filter((pod) => selectorMatches(service.selector, pod.metadata.labels) && pod.status?.podIP);
  const byPort = new Map<number, Endpoint[]>();
  for (const port of service.ports) {
    const list: Endpoint[] = [];
    for (const pod of selected) {
      const target = resolveTargetPort(port, pod);
      if (target === undefined) {
        warnings.push(`${serviceWarningPrefix(service)} port ${port.port}: target port "${port.targetPort}" is not a container port of Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
        continue;
      }
      list.push({
        address: pod.status?.podIP ?? '',
        port: target,
        podName: pod.metadata.name,
        namespace: service.namespace,
        labels: pod.metadata.labels ?? {},
        serviceAccount: pod.spec.serviceAccountName ?? 'default',
      });
    }
    byPort.set(port.port, list);
  }
  return byPort;
}

function serviceWarningPrefix(service: MeshService): string {
  return `Service ${service.namespace}/${service.name}`;
}

/**
 * The registry after the pods behind some services changed, without rebuilding it: the same
 * services, and for these hostnames endpoints worked out afresh from the store's pods (a
 * ServiceEntry's from its entry). Everything else, the untouched endpoint lists included, is
 * shared with the registry before.
 */
export function withEndpointsOf(registry: ServiceRegistry, store: ConfigStore, hostnames: Iterable<string>): ServiceRegistry {
  const endpoints = new Map(registry.endpoints);
  let warnings = registry.warnings;
  const pods = store.list('Pod');
  for (const hostname of hostnames) {
    const service = registry.byHostname.get(hostname);
    if (!service) continue;
    let byPort: Map<number, Endpoint[]> | undefined;
    if (service.serviceEntry) {
      const entry = store.get('ServiceEntry', service.namespace, service.serviceEntry.name) as ServiceEntry | undefined;
      byPort = entry && serviceEntryServices(entry, pods).services.find((s) => s.service.hostname === hostname)?.endpoints;
    } else {
      // This service's warnings are worked out again with its endpoints.
      const prefix = `${serviceWarningPrefix(service)} port `;
      const fresh: string[] = [];
      byPort = podEndpoints(service, pods.filter((p) => (p.metadata.namespace ?? 'default') === service.namespace), fresh);
      warnings = [...warnings.filter((w) => !w.startsWith(prefix)), ...fresh];
    }
    for (const port of service.ports) endpoints.set(endpointKey(hostname, port.port), byPort?.get(port.port) ?? []);
  }
  return { ...registry, endpoints, warnings };
}

/** A numeric target port is used as is; a named one is looked up in the pod's containers. */
export function resolveTargetPort(port: ServicePort, pod: Pod | undefined): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  for (const container of pod?.spec.containers ?? []) {
    for (const containerPort of container.ports ?? []) {
      if (containerPort.name === port.targetPort) return containerPort.containerPort;
    }
  }
  return undefined;
}
