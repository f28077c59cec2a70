import type { Service as KubeService } from '@mizzen/config';
import { portProtocol, type Protocol } from './protocol.ts';

export const clusterDomain = 'cluster.local';

export interface ServicePort {
  name: string;
  port: number;
  /** A number, or the name of a container port on the selected pods. */
  targetPort: number | string;
  protocol: Protocol;
}

/** A Kubernetes Service as the mesh sees it. */
export interface MeshService {
  name: string;
  namespace: string;
  /** reviews.default.svc.cluster.local */
  hostname: string;
  /** The virtual IP, or undefined for a headless service. */
  clusterIP?: string;
  ports: ServicePort[];
  /** Undefined when the service selects no pods (its endpoints are managed elsewhere). */
  selector?: Record<string, string>;
  /** How a client finds the endpoints: EDS from istiod (Kubernetes Services, STATIC
   *  ServiceEntries), DNS by the proxy (a STRICT_DNS cluster), or NONE (the original
   *  destination of the connection). Absent means EDS. */
  resolution?: 'EDS' | 'DNS' | 'NONE';
  /** Set for a host that a ServiceEntry declares: MESH_EXTERNAL or MESH_INTERNAL. */
  serviceEntry?: { location: 'MESH_EXTERNAL' | 'MESH_INTERNAL'; name: string };
  /** Istio's exportTo (the Service's `networking.istio.io/exportTo` annotation, or the
   *  ServiceEntry's field): absent means every namespace. */
  exportTo?: string[];
}

export function meshService(service: KubeService): MeshService {
  const namespace = service.metadata.namespace ?? 'default';
  const clusterIP = service.spec.clusterIP && service.spec.clusterIP !== 'None' ? service.spec.clusterIP : undefined;
  return {
    name: service.metadata.name,
    namespace,
    hostname: `${service.metadata.name}.${namespace}.svc.${clusterDomain}`,
    clusterIP,
    ports: (service.spec.ports ?? []).map((p) => ({
      name: p.name ?? '',
      port: p.port,
      targetPort: p.targetPort ?? p.port,
      protocol: portProtocol(p),
    })),
    selector: service.spec.selector && Object.keys(service.spec.selector).length > 0 ? service.spec.selector : undefined,
    resolution: 'EDS',
    exportTo: service.metadata.annotations?.['networking.istio.io/exportTo']?.split(',').map((s) => s.trim()).filter(Boolean),
  };
}

/** Kubernetes label selector semantics: every key of the selector with the same value. */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}
