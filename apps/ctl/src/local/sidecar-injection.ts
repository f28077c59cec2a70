import type { Container, Pod } from '@mizzen/config';

// What Istio's injector adds to a pod, reduced to what runs locally: the init container that
// installs the capture rules, and the istio-proxy container (pilot-agent and its proxy) as uid
// 1337 with the pod's identity in its environment.

export interface LocalInjection {
  /** istiod's xDS address as the agent dials it. */
  discoveryAddress: string;
  dnsCapture: boolean;
}

export const proxyUid = 1337;

export function injectSidecar(pod: Pod, settings: LocalInjection): Pod {
  const field = (name: string, fieldPath: string): Container['env'] extends (infer E)[] | undefined ? E : never => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const init = {
    name: 'istio-init',
    securityContext: { runAsUser: 0, runAsGroup: 0 },
    args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', String(proxyUid), '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', ...(settings.dnsCapture ? ['--redirect-dns'] : [])],
  };
  const proxy = {
    name: 'istio-proxy',
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local'],
    env: [
      field('POD_NAME', 'metadata.name'),
      field('POD_NAMESPACE', 'metadata.namespace'),
      field('INSTANCE_IP', 'status.podIP'),
      field('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      { name: 'PROXY_CONFIG', value: JSON.stringify({ discoveryAddress: settings.discoveryAddress }) },
      { name: 'ISTIO_META_APP_CONTAINERS', value: pod.spec.containers.map((c) => c.name).join(',') },
      { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
      { name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' },
      { name: 'ISTIO_META_WORKLOAD_NAME', value: pod.metadata.name.replace(/-[^-]+-[^-]+$/, '') },
      { name: 'ISTIO_METAJSON_LABELS', value: JSON.stringify(pod.metadata.labels ?? {}) },
      ...(settings.dnsCapture ? [{ name: 'ISTIO_META_DNS_CAPTURE', value: 'true' }] : []),
    ],
    securityContext: { runAsUser: proxyUid, runAsGroup: proxyUid },
  };
  return {
    ...pod,
    metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, 'security.istio.io/tlsMode': 'istio' } },
    spec: { ...pod.spec, initContainers: [init, ...(pod.spec.initContainers ?? [])], containers: [...pod.spec.containers, proxy] },
  };
}
