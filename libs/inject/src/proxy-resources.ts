import { Annotation } from './annotations.ts';
import { InjectionError } from './injection-error.ts';

/** Requests and limits of the injected containers: Istio's defaults unless the pod's
 *  sidecar.istio.io/proxyCPU|Memory[Limit] annotations say otherwise. */
export function proxyResources(annotations: Record<string, string>, where: string): { limits: Record<string, string>; requests: Record<string, string> } {
  const quantity = (name: string, fallback: string): string => {
    const value = annotations[name];
    if (value === undefined) return fallback;
    if (!/^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.test(value.trim())) {
      throw new InjectionError(`${where}: annotation ${name}: must be a Kubernetes quantity such as 100m or 128Mi, got "${value}"`);
    }
    return value.trim();
  };
  return {
    limits: { cpu: quantity(Annotation.proxyCpuLimit, '2000m'), memory: quantity(Annotation.proxyMemoryLimit, '1024Mi') },
    requests: { cpu: quantity(Annotation.proxyCpu, '100m'), memory: quantity(Annotation.proxyMemory, '128Mi') },
  };
}
