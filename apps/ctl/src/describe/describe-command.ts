import type { KubeObject, Pod } from '@mizzen/config';
import { Command } from 'commander';
import { loadFiles } from '../analyze/load-files.ts';
import { clusterObjects } from '../cluster/cluster-config.ts';
import { addClusterOptions, clusterFor, namespaceOptionHelp, podNamespace } from '../cluster/cluster-mesh.ts';
import type { Cluster, ClusterFlags } from '../cluster/kube-connection.ts';
import type { Output } from '../local/local-command.ts';
import { defaultStateRoot, listMeshIds, meshPaths } from '../local/mesh-state.ts';
import { describePod } from './describe-pod.ts';
import { findPod } from './pod-lookup.ts';

interface DescribeFlags extends ClusterFlags {
  file: string[];
  namespace?: string;
  stateDir: string;
}

/** `mizzenctl x describe pod POD`: what the mesh's config does to a pod, from config files or
 *  from the config of a running local mesh. */
export function describeCommand(output: Output): Command {
  const describe = new Command('describe').description("Describe a resource's place in the mesh and the config that applies to it");
  addClusterOptions(describe.command('pod'))
    .description("Describe a pod's services, the VirtualServices, DestinationRules and policies that apply to it, and the routes they make")
    .argument('<pod>', 'POD[.NAMESPACE]; a name prefix will do, and a Deployment name stands for its pods')
    .option('-f, --file <path>', 'read config from this YAML file or folder (repeatable) instead of the cluster or the local mesh', (value: string, previous: string[]) => [...previous, value], [])
    .option('-n, --namespace <namespace>', namespaceOptionHelp)
    .option('--state-dir <dir>', 'where local meshes record their state (env MIZZEN_LOCAL_STATE)', defaultStateRoot())
    .addHelpText('after', '\nExit codes: 0 described, 1 no such pod or unreadable config, 2 a bad flag.')
    .action(async (reference: string, flags: DescribeFlags) => {
      const cluster = flags.file.length > 0 ? undefined : clusterFor(flags);
      const namespace = podNamespace(flags.namespace, cluster);
      const { pod, objects } =
        flags.file.length > 0 ? await fromFiles(flags.file, reference, namespace) : cluster ? await fromCluster(cluster, reference, namespace) : await fromLocalMesh(flags.stateDir, reference, namespace);
      output.out(`${describePod(pod, objects).join('\n')}\n`);
    });
  return describe;
}

async function fromFiles(paths: string[], reference: string, namespace: string): Promise<{ pod: Pod; objects: KubeObject[] }> {
  const objects = (await loadFiles(paths)).objects.map((o) => o.object);
  return { pod: findPod(objects, reference, namespace), objects };
}

/** The cluster's config as istiod reads it, pods included. */
async function fromCluster(cluster: Cluster, reference: string, namespace: string): Promise<{ pod: Pod; objects: KubeObject[] }> {
  const objects = await clusterObjects(cluster);
  return { pod: findPod(objects.filter((o) => o.kind !== 'Deployment'), reference, namespace), objects };
}

/** The local mesh's config as istiod reads it: the user's folder (Services with their
 *  addresses) and the Pod objects of the pods it runs. */
async function fromLocalMesh(stateRoot: string, reference: string, namespace: string): Promise<{ pod: Pod; objects: KubeObject[] }> {
  const ids = listMeshIds(stateRoot);
  if (ids.length === 0) throw new Error('no local mesh is recorded: start one with mizzenctl local up, or give -f FILE|DIR');
  const misses: string[] = [];
  for (const id of ids) {
    const paths = meshPaths(stateRoot, id);
    const objects = (await loadFiles([paths.config, paths.pods])).objects.map((o) => o.object);
    try {
      return { pod: findPod(objects.filter((o) => o.kind !== 'Deployment'), reference, namespace), objects };
    } catch (error) {
      misses.push(`mesh ${id}: ${(error as Error).message}`);
    }
  }
  throw new Error(misses.join('; '));
}
