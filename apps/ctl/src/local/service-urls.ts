import type { Service } from '@mizzen/config';
import type { PodPlan } from './pod-plan.ts';

export interface ServiceUrl {
  service: string;
  port: number;
  pod: string;
  url: string;
}

/** For each HTTP port of each service, a URL the host can call: a selected pod's address at
 *  the target port, where that pod's sidecar listens (interception mode NONE). */
export function serviceUrls(services: Service[], pods: PodPlan[]): ServiceUrl[] {
  const urls: ServiceUrl[] = [];
  for (const service of services) {
    const selector = service.spec.selector;
    if (!selector || Object.keys(selector).length === 0) continue;
    const namespace = service.metadata.namespace ?? 'default';
    const pod = pods.find((p) => p.namespace === namespace && Object.entries(selector).every(([k, v]) => p.labels[k] === v));
    if (!pod) continue;
    for (const port of service.spec.ports ?? []) {
      if (!isHttp(port.name, port.appProtocol)) continue;
      const target = targetPort(port.targetPort ?? port.port, pod);
      if (target !== undefined) urls.push({ service: `${service.metadata.name}.${namespace}`, port: port.port, pod: pod.name, url: `http://${pod.ip}:${target}/` });
    }
  }
  return urls;
}

function isHttp(name: string | undefined, appProtocol: string | undefined): boolean {
  const protocol = (appProtocol ?? name ?? '').toLowerCase();
  return protocol === 'http' || protocol.startsWith('http-') || protocol === 'http2' || protocol.startsWith('http2-');
}

/** A named target port is looked up among the pod's container ports. */
function targetPort(target: number | string, pod: PodPlan): number | undefined {
  if (typeof target === 'number') return target;
  for (const container of pod.pod.spec.containers) {
    const match = (container.ports ?? []).find((p) => p.name === target);
    if (match) return match.containerPort;
  }
  return undefined;
}
