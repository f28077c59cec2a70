import { isObject, textAt } from '../proxy-config/json-reading.ts';
import type { Cluster } from './kube-connection.ts';
import { kubeGet, KubeStatusError } from './kube-get.ts';

/** What the commands need of a Pod read from the API server. */
export interface ClusterPod {
  name: string;
  namespace: string;
  ip: string;
  phase: string;
  labels: Record<string, string>;
  /** Container names, to tell a pod with a sidecar (`istio-proxy`) from one without. */
  containers: string[];
  /** The Pod object as the API server gave it. */
  object: Record<string, unknown>;
}

/** A Pod object to what the commands use; throws naming what is missing. */
export function clusterPod(object: unknown): ClusterPod {
  if (!isObject(object) || !isObject(object.metadata) || textAt(object.metadata.name) === '') throw new Error('a Pod without metadata.name');
  const metadata = object.metadata;
  const spec = isObject(object.spec) ? object.spec : {};
  const status = isObject(object.status) ? object.status : {};
  const labels = isObject(metadata.labels) ? Object.fromEntries(Object.entries(metadata.labels).map(([k, v]) => [k, String(v)])) : {};
  const containers = Array.isArray(spec.containers) ? spec.containers.map((c) => (isObject(c) ? textAt(c.name) : '')) : [];
  return { name: textAt(metadata.name), namespace: textAt(metadata.namespace) || 'default', ip: textAt(status.podIP), phase: textAt(status.phase), labels, containers, object };
}

/** The pods of a namespace (every namespace when undefined), those a label selector picks. */
export async function listClusterPods(cluster: Cluster, namespace: string | undefined, labelSelector?: string): Promise<ClusterPod[]> {
  const base = namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
  const list = await kubeGet(cluster, `${base}${query}`);
  if (!isObject(list) || !Array.isArray(list.items)) throw new Error(`cluster ${cluster.context}: GET ${base}${query}: the answer is not a list`);
  return list.items.map(clusterPod);
}

/** POD[.NAMESPACE] (else the namespace given) in the cluster: the pod of that exact name, else
 *  the one pod of the namespace whose name starts with it. */
export async function findClusterPod(cluster: Cluster, reference: string, defaultNamespace: string): Promise<ClusterPod> {
  const dot = reference.indexOf('.');
  const name = dot < 0 ? reference : reference.slice(0, dot);
  const namespace = dot < 0 ? defaultNamespace : reference.slice(dot + 1);
  if (name === '' || namespace === '') throw new Error(`pod ${JSON.stringify(reference)}: expected POD[.NAMESPACE]`);
  try {
    return clusterPod(await kubeGet(cluster, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`));
  } catch (error) {
    if (!(error instanceof KubeStatusError && error.statusCode === 404)) throw error;
  }
  const prefixed = (await listClusterPods(cluster, namespace)).filter((pod) => pod.name.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) throw new Error(`pod ${reference}: ambiguous, matches ${prefixed.map((p) => p.name).join(', ')}`);
  throw new Error(`pod ${name} in namespace ${namespace}: not found in cluster ${cluster.context}`);
}
