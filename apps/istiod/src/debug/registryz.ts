import type { PushContext } from '../model/push-context.ts';
import { serviceEndpoints } from '../model/push-context.ts';

/** The service registry as istiod sees it: services, ports with their protocol, and the
 *  endpoints behind each port. */
export function registryz(push: PushContext): object {
  return {
    version: push.version,
    services: push.registry.services.map((service) => ({
      hostname: service.hostname,
      namespace: service.namespace,
      cluster_ip: service.clusterIP ?? null,
      selector: service.selector ?? null,
      ports: service.ports.map((port) => ({
        name: port.name,
        port: port.port,
        target_port: port.targetPort,
        protocol: port.protocol,
        endpoints: serviceEndpoints(push, service.hostname, port.port).map((e) => ({ address: e.address, port: e.port, pod: e.podName, service_account: e.serviceAccount })),
      })),
    })),
    warnings: push.registry.warnings,
  };
}
