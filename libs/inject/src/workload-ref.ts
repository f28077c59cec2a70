import type { KubeMeta } from './kube-shapes.ts';

/** Which workload a pod belongs to, as the agent reports it to istiod
 *  (ISTIO_META_WORKLOAD_NAME and ISTIO_META_OWNER). */
export interface WorkloadRef {
  name: string;
  owner: string;
}

/** A workload object's own reference: `kubernetes://apis/apps/v1/namespaces/NS/deployments/NAME`. */
export function workloadRef(apiVersion: string, kind: string, metadata: KubeMeta): WorkloadRef {
  const name = metadata.name ?? '';
  const namespace = metadata.namespace ?? 'default';
  return { name, owner: `kubernetes://apis/${apiVersion}/namespaces/${namespace}/${kind.toLowerCase()}s/${name}` };
}

/**
 * A pod's workload: a pod made by a Deployment (`reviews-v2-<hash>-<suffix>`, with its
 * `pod-template-hash` label) belongs to the Deployment; a pod made by another controller to its
 * owner; a bare pod to itself.
 */
export function podWorkloadRef(metadata: KubeMeta): WorkloadRef {
  const namespace = metadata.namespace ?? 'default';
  const podName = metadata.name ?? metadata.generateName?.replace(/-$/, '') ?? '';
  const hash = metadata.labels?.['pod-template-hash'];
  const owner = metadata.ownerReferences?.[0];
  if (hash !== undefined) {
    const base = owner?.kind === 'ReplicaSet' && owner.name ? owner.name : podName;
    const deployment = base.replace(new RegExp(`-${escape(hash)}(-[a-z0-9]+)?$`), '');
    if (deployment !== base) return workloadRef('apps/v1', 'Deployment', { name: deployment, namespace });
  }
  if (owner?.kind && owner.name && owner.apiVersion) return workloadRef(owner.apiVersion, owner.kind, { name: owner.name, namespace });
  return workloadRef('v1', 'Pod', { name: podName, namespace });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
