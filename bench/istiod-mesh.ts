/**
 * The mesh istiod's benchmarks serve: N services in 10 namespaces, one HTTP port each (50
 * distinct ports), 5 pods behind each, and on every tenth a DestinationRule with two subsets
 * and a weighted VirtualService. `changedPod` moves one pod to another IP (an endpoint change);
 * `vsTimeout` changes every VirtualService (a routing change).
 */
import type { KubeObject } from '@mizzen/config';

export const namespaces = 10;

/** The sidecar node of simulated proxy i, on the pod of service i mod N. */
export function proxyNode(i: number, serviceCount: number): { id: string; metadata: { LABELS: Record<string, string> } } {
  const s = i % serviceCount;
  return {
    id: `sidecar~10.${100 + (i % 5)}.${Math.floor(s / 250)}.${(s % 250) + 1}~svc-${s}-${i % 5}.ns-${s % namespaces}~ns-${s % namespaces}.svc.cluster.local`,
    metadata: { LABELS: { app: `svc-${s}` } },
  };
}

export function mesh(serviceCount: number, changedPod?: string, vsTimeout = '5s'): KubeObject[] {
  const objects: KubeObject[] = [];
  for (let s = 0; s < serviceCount; s++) {
    const name = `svc-${s}`;
    const namespace = `ns-${s % namespaces}`;
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { clusterIP: `10.96.${Math.floor(s / 250)}.${(s % 250) + 1}`, selector: { app: name }, ports: [{ name: 'http', port: 8000 + (s % 50), targetPort: 8080 }] },
    });
    for (let p = 0; p < 5; p++) {
      const podName = `${name}-${p}`;
      const ip = changedPod === podName ? '10.250.0.1' : `10.${100 + p}.${Math.floor(s / 250)}.${(s % 250) + 1}`;
      objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: podName, namespace, labels: { app: name, version: p % 2 === 0 ? 'v1' : 'v2' } },
        spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }] },
        status: { podIP: ip },
      });
    }
    if (s % 10 === 0) {
      objects.push({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name, namespace },
        spec: { host: name, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
      });
      objects.push({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name, namespace },
        spec: { hosts: [name], http: [{ timeout: vsTimeout, route: [{ destination: { host: name, subset: 'v1' }, weight: 90 }, { destination: { host: name, subset: 'v2' }, weight: 10 }] }] },
      });
    }
  }
  return objects;
}
