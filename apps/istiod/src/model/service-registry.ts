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
    // Pods without an IP are not running yet, so they are not endpoints.
    const selected = (podsByNamespace.get(service.namespace) ?? []).filter((pod) => selectorMatches(service.selector, pod.metadata.labels) && pod.status?.podIP);
    for (const port of service.ports) {
      const list: Endpoint[] = [];
      for (const pod of selected) {
        const target = resolveTargetPort(port, pod);
        if (target === undefined) {
          warnings.push(`Service ${service.namespace}/${service.name} port ${port.port}: target port "${port.targetPort}" is not a container port of Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
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
      endpoints.set(endpointKey(service.hostname, port.port), list);
    }
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
