import type { KubeObject } from '@mizzen/config';
import { Command, Option } from 'commander';
import { loadFiles } from '../analyze/load-files.ts';
import { addClusterOptions, clusterFor, namespaceOptionHelp, podNamespace, requestClusterProxyAdmin } from '../cluster/cluster-mesh.ts';
import { findClusterPod, listClusterPods } from '../cluster/cluster-pods.ts';
import type { Cluster, ClusterFlags } from '../cluster/kube-connection.ts';
import { selectorMatches } from '../cluster/label-selector.ts';
import type { Output } from '../local/local-command.ts';
import { defaultStateRoot, listMeshIds, loadRecord, meshPaths, type PodRecord } from '../local/mesh-state.ts';
import { findLocalPod, recordedPods, requestProxyAdmin } from './pod-config-dump.ts';

/** Envoy's log levels, as its /logging takes them. */
export const logLevels = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'];

interface LogFlags extends ClusterFlags {
  selector?: string;
  level?: string;
  namespace?: string;
  stateDir: string;
}

/** A pod whose proxy the command talks to: its name, and how to send it an admin request. */
interface Target {
  name: string;
  send: (path: string, method: string) => Promise<string>;
}

async function clusterTargets(cluster: Cluster, reference: string | undefined, flags: LogFlags): Promise<Target[]> {
  const namespace = podNamespace(flags.namespace, cluster);
  const pods = reference !== undefined ? [await findClusterPod(cluster, reference, namespace)] : await listClusterPods(cluster, namespace, flags.selector);
  return pods.filter((pod) => reference !== undefined || pod.containers.includes('istio-proxy')).map((pod) => ({ name: `${pod.name}.${pod.namespace}`, send: (path, method) => requestClusterProxyAdmin(cluster, pod, path, method) }));
}

/** The local pods a selector picks, by the labels of the Pod objects the runner wrote. */
async function localSelected(stateRoot: string, namespace: string, selector: string): Promise<PodRecord[]> {
  const picked: PodRecord[] = [];
  for (const id of listMeshIds(stateRoot)) {
    const paths = meshPaths(stateRoot, id);
    const objects: KubeObject[] = (await loadFiles([paths.pods])).objects.map((o) => o.object);
    const names = new Set(objects.filter((o) => o.kind === 'Pod' && (o.metadata.namespace ?? 'default') === namespace && selectorMatches(selector, o.metadata.labels ?? {})).map((o) => o.metadata.name));
    picked.push(...loadRecord(paths).pods.filter((pod) => pod.namespace === namespace && names.has(pod.name)));
  }
  return picked;
}

async function localTargets(reference: string | undefined, flags: LogFlags): Promise<Target[]> {
  const namespace = podNamespace(flags.namespace, undefined);
  const pods = reference !== undefined ? [findLocalPod(recordedPods(flags.stateDir), reference, namespace)] : await localSelected(flags.stateDir, namespace, flags.selector ?? '');
  return pods.map((pod) => ({ name: `${pod.name}.${pod.namespace}`, send: (path, method) => requestProxyAdmin(pod, path, method) }));
}

/** `mizzenctl proxy-config log`: a proxy's log levels, read or set through its /logging, for one
 *  pod or every pod a label selector picks, as istioctl's. */
export function logCommand(output: Output): Command {
  return addClusterOptions(new Command('log'))
    .description("Show or set the log level of pods' proxies (their admin /logging)")
    .argument('[pod]', 'POD[.NAMESPACE] of the cluster or the local mesh; a name prefix will do')
    .option('-l, --selector <selector>', 'every pod of the namespace these labels pick (key=value,key!=value,...), instead of one pod')
    .addOption(new Option('--level <level>', "set the proxy's log level").choices(logLevels))
    .option('-n, --namespace <namespace>', namespaceOptionHelp)
    .option('--state-dir <dir>', 'where local meshes record their pods (env MIZZEN_LOCAL_STATE)', defaultStateRoot())
    .addHelpText('after', '\nExit codes:\n  0  printed (or set)\n  1  an unknown pod, a selector that picks none, or a proxy that refuses or cannot be reached\n  2  a bad flag\n')
    .action(async (reference: string | undefined, flags: LogFlags) => {
      if ((reference === undefined) === (flags.selector === undefined)) throw new Error('name a pod (POD[.NAMESPACE]) or give -l SELECTOR, not both');
      if (flags.selector !== undefined) selectorMatches(flags.selector, {});
      const cluster = clusterFor(flags);
      const targets = cluster ? await clusterTargets(cluster, reference, flags) : await localTargets(reference, flags);
      if (targets.length === 0) throw new Error(`no pod with a proxy in namespace ${podNamespace(flags.namespace, cluster)} matches -l ${flags.selector}`);
      const path = flags.level === undefined ? '/logging' : `/logging?level=${flags.level}`;
      for (const target of targets) {
        // Envoy's /logging takes POST only, to read as well as to set.
        const text = await target.send(path, 'POST');
        output.out(`${target.name}:\n${text.endsWith('\n') ? text : `${text}\n`}`);
      }
    });
}
