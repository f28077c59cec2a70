import { Argument, Command } from 'commander';
import { clusterFor, podNamespace } from '../cluster/cluster-mesh.ts';
import { listClusterPods } from '../cluster/cluster-pods.ts';
import { kubeGet } from '../cluster/kube-get.ts';
import type { Output } from '../local/local-command.ts';
import { defaultStateRoot, listMeshIds, loadRecord, meshPaths, type PodRecord } from '../local/mesh-state.ts';
import { isObject, textAt } from '../proxy-config/json-reading.ts';
import type { DynamicKind } from './completion-tables.ts';
import { typedFlags, type TypedFlags } from './typed-flags.ts';

/** The pods of every local mesh recorded; a folder without a readable record has none. */
function localPods(stateRoot: string): PodRecord[] {
  return listMeshIds(stateRoot).flatMap((id) => {
    try {
      return loadRecord(meshPaths(stateRoot, id)).pods;
    } catch {
      return [];
    }
  });
}

/** The pods or namespaces of the mesh the typed flags name, as the commands would choose it. */
export async function dynamicValues(kind: DynamicKind, flags: TypedFlags): Promise<string[]> {
  const stateDir = flags.stateDir ?? defaultStateRoot();
  const cluster = clusterFor({ ...flags, istioNamespace: flags.istioNamespace ?? 'istio-system', stateDir });
  const namespace = podNamespace(flags.namespace, cluster);
  if (cluster === undefined) {
    const pods = localPods(stateDir);
    return kind === 'pods' ? pods.filter((pod) => pod.namespace === namespace).map((pod) => pod.name) : [...new Set(pods.map((pod) => pod.namespace))];
  }
  if (kind === 'pods') return (await listClusterPods(cluster, namespace)).map((pod) => pod.name);
  const list = await kubeGet(cluster, '/api/v1/namespaces');
  return isObject(list) && Array.isArray(list.items) ? list.items.map((item) => (isObject(item) && isObject(item.metadata) ? textAt(item.metadata.name) : '')).filter(Boolean) : [];
}

/** `mizzenctl __complete pods|namespaces -- WORDS...`: what the completion scripts call for the
 *  values only a running mesh knows, one a line, given the words typed so far. Hidden, as
 *  cobra's is. */
export function completeCommand(output: Output, setExitCode: (code: number) => void): Command {
  return new Command('__complete')
    .description('Pods or namespaces for the completion scripts, given the words typed so far')
    .addArgument(new Argument('<kind>', 'pods or namespaces').choices(['pods', 'namespaces']))
    .argument('[words...]', 'the words typed after the program name, after --')
    .helpOption(false)
    .action(async (kind: DynamicKind, words: string[]) => {
      try {
        const values = await dynamicValues(kind, typedFlags(words));
        output.out(values.sort().map((value) => `${value}\n`).join(''));
      } catch (error) {
        // The scripts silence this; someone trying the command by hand sees why.
        output.err(`error: ${(error as Error).message}\n`);
        setExitCode(1);
      }
    });
}
