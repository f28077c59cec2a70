// Istio's ServiceEntry in the service registry: each host becomes a service like a Kubernetes
// one, with the entry's ports, virtual IP and endpoints.
import type { Pod, ServiceEntry } from '@mizzen/config';
import { portProtocol } from './protocol.ts';
import type { Endpoint } from './service-registry.ts';
import { selectorMatches, type MeshService, type ServicePort } from './service.ts';

/** The services of one ServiceEntry, one per host, each with its endpoints per port. */
export interface ServiceEntryServices {
  services: { service: MeshService; endpoints: Map<number, Endpoint[]> }[];
}

/** Istio's resolutions: STATIC endpoints are sent over EDS; DNS (and DNS_ROUND_ROBIN) let the
 *  proxy resolve the endpoint addresses (or the host itself); NONE forwards to the original
 *  destination. */
function resolutionOf(entry: ServiceEntry): MeshService['resolution'] {
  const resolution = entry.spec.resolution ?? 'NONE';
  if (resolution === 'STATIC') return 'EDS';
  if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') return 'DNS';
  return 'NONE';
}

export function serviceEntryServices(entry: ServiceEntry, pods: readonly Pod[]): ServiceEntryServices {
  const namespace = entry.metadata.namespace ?? 'default';
  const resolution = resolutionOf(entry);
  const ports: ServicePort[] = (entry.spec.ports ?? []).map((p) => ({
    name: p.name,
    port: p.number,
    targetPort: p.targetPort ?? p.number,
    // The port's protocol names it ("HTTP", "HTTPS", "TCP", "GRPC", ...), as appProtocol does.
    protocol: portProtocol({ appProtocol: p.protocol }),
  }));
  // Addresses may be CIDR ranges; only a single address can be a listener's VIP.
  const vip = (entry.spec.addresses ?? []).map((a) => a.replace(/\/(32|128)$/, '')).find((a) => !a.includes('/'));
  const selector = entry.spec.workloadSelector?.labels;
  return {
    services: entry.spec.hosts.map((host) => {
      const service: MeshService = {
        name: host,
        namespace,
        hostname: host,
        clusterIP: vip,
        ports,
        selector: selector && Object.keys(selector).length > 0 ? selector : undefined,
        resolution,
        serviceEntry: { location: entry.spec.location ?? 'MESH_EXTERNAL', name: entry.metadata.name },
        exportTo: entry.spec.exportTo,
      };
      const endpoints = new Map(ports.map((port) => [port.port, entryEndpoints(entry, service, port, pods)]));
      return { service, endpoints };
    }),
  };
}

/** The endpoints of one port: the entry's own (each may map the port to another number), the
 *  pods its workloadSelector picks in its namespace, or for DNS without either, the host. */
function entryEndpoints(entry: ServiceEntry, service: MeshService, port: ServicePort, pods: readonly Pod[]): Endpoint[] {
  const target = typeof port.targetPort === 'number' ? port.targetPort : port.port;
  if (service.selector) {
    return pods
      .filter((pod) => pod.metadata.namespace === service.namespace && pod.status?.podIP && selectorMatches(service.selector, pod.metadata.labels))
      .map((pod) => ({
        address: pod.status?.podIP ?? '',
        port: target,
        podName: pod.metadata.name,
        namespace: service.namespace,
        labels: pod.metadata.labels ?? {},
        serviceAccount: pod.spec.serviceAccountName ?? 'default',
      }));
  }
  const declared = entry.spec.endpoints ?? [];
  if (declared.length === 0) {
    // A DNS entry without endpoints resolves its own host; a wildcard cannot be resolved.
    return service.resolution === 'DNS' && !service.hostname.startsWith('*') ? [{ address: service.hostname, port: target, podName: '', namespace: service.namespace, labels: {}, serviceAccount: '' }] : [];
  }
  return declared
    .filter((e) => e.address)
    .map((e) => ({
      address: e.address as string,
      port: e.ports?.[port.name] ?? target,
      podName: '',
      namespace: service.namespace,
      labels: e.labels ?? {},
      serviceAccount: e.serviceAccount ?? '',
      ...(e.weight ? { weight: e.weight } : {}),
    }));
}
