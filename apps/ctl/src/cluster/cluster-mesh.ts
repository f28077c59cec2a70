import { Command } from 'commander';
import { listMeshIds, loadRecord, meshPaths } from '../local/mesh-state.ts';
import { findClusterPod, listClusterPods, type ClusterPod } from './cluster-pods.ts';
import { chooseCluster, type Cluster, type ClusterFlags, type Surroundings } from './kube-connection.ts';
import { kubeGet } from './kube-get.ts';
import { portForwardRequest } from './port-forward.ts';

/** The sidecar's admin API, on the pod's loopback. */
export const proxyAdminPort = 15000;
/** istiod's debug endpoints (/debug/syncz, /debug/config_dump, /version), on every address. */
export const istiodDebugPort = 8080;
/** The label Istio's chart gives istiod's pods. */
export const istiodSelector = 'app=istiod';

/** The options of every command that reads a pod or istiod, with istioctl's spellings, and
 *  how the mesh to read is chosen. */
export function addClusterOptions(command: Command): Command {
  return command
    .addHelpText(
      'after',
      '\nWhich mesh: a cluster when --kubeconfig, --context or KUBECONFIG names one; else the local mesh when one runs;\n' +
        "else the cluster of ~/.kube/config (or of the pod's service account). --local always reads the local mesh.",
    )
    .option('-c, --kubeconfig <file>', 'read the cluster of this kubeconfig (default: KUBECONFIG, else ~/.kube/config when no local mesh runs)')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('--local', 'read the local mesh, even when a kubeconfig is set')
    .option('-i, --istio-namespace <namespace>', "istiod's namespace in a cluster", 'istio-system');
}

/** What `-n` says when it is not given: kubectl's and istioctl's rule. */
export const namespaceOptionHelp = "namespace of a pod named without one (default: the kubeconfig context's on a cluster, else default)";

/** The namespace of a pod named without one: `-n`, else the cluster context's, else default. */
export function podNamespace(flag: string | undefined, cluster: Cluster | undefined): string {
  return flag ?? cluster?.namespace ?? 'default';
}

/** Whether a local mesh runs from this state root (its record has a bridge address). A folder
 *  without a readable record runs nothing. */
export function localMeshRunning(stateRoot: string): boolean {
  return listMeshIds(stateRoot).some((id) => {
    try {
      return loadRecord(meshPaths(stateRoot, id)).gateway !== undefined;
    } catch {
      return false;
    }
  });
}

/** The cluster the flags and the surroundings name, or undefined for the local mesh. */
export function clusterFor(flags: ClusterFlags & { stateDir: string }, where?: Surroundings): Cluster | undefined {
  return chooseCluster(flags, () => localMeshRunning(flags.stateDir), where);
}

/** Sends a request to a pod's sidecar admin API (through a port-forward); its answer as text. */
export async function requestClusterProxyAdmin(cluster: Cluster, pod: ClusterPod, path: string, method = 'GET'): Promise<string> {
  if (!pod.containers.includes('istio-proxy')) throw new Error(`pod ${pod.name}.${pod.namespace}: has no istio-proxy container (not in the mesh)`);
  const { status, text } = await portForwardRequest(cluster, pod.namespace, pod.name, proxyAdminPort, path, method);
  const url = `127.0.0.1:${proxyAdminPort}${path}`;
  if (status !== 200) throw new Error(`pod ${pod.name}.${pod.namespace}: its proxy answers ${url} with ${status} (${text.trim().slice(0, 120)})`);
  return text;
}

/** GETs a path of a pod's sidecar admin API (through a port-forward) as JSON. */
export async function fetchClusterProxyAdmin(cluster: Cluster, reference: string, namespace: string, path: string): Promise<unknown> {
  const pod = await findClusterPod(cluster, reference, namespace);
  const text = await requestClusterProxyAdmin(cluster, pod, path);
  const url = `127.0.0.1:${proxyAdminPort}${path}`;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`pod ${pod.name}.${pod.namespace}: ${url} did not return JSON (${(error as Error).message})`);
  }
}

/** The running istiod pods of the cluster (Istio runs several behind one service). */
export async function istiodPods(cluster: Cluster): Promise<ClusterPod[]> {
  const pods = (await listClusterPods(cluster, cluster.istioNamespace, istiodSelector)).filter((pod) => pod.phase === 'Running');
  if (pods.length === 0) throw new Error(`cluster ${cluster.context}: no running istiod pod in namespace ${cluster.istioNamespace} (label ${istiodSelector}; --istio-namespace names another)`);
  return pods.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** GETs a debug path of one istiod pod as JSON, through the API server's pods proxy
 *  subresource: istiod listens on every address, so no tunnel is needed. */
export function fetchClusterIstiod(cluster: Cluster, pod: ClusterPod, path: string): Promise<unknown> {
  return kubeGet(cluster, `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}:${istiodDebugPort}/proxy${path}`);
}
