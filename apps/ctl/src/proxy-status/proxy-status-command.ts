import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { addClusterOptions, clusterFor, fetchClusterProxyAdmin, namespaceOptionHelp, podNamespace } from '../cluster/cluster-mesh.ts';
import type { Cluster, ClusterFlags } from '../cluster/kube-connection.ts';
import type { Output } from '../local/local-command.ts';
import { defaultStateRoot, listMeshIds, loadRecord, meshPaths, type MeshRecord } from '../local/mesh-state.ts';
import { fetchProxyAdmin, findLocalPod, readDumpFile } from '../proxy-config/pod-config-dump.ts';
import { isObject } from '../proxy-config/json-reading.ts';
import { formatTable } from '../proxy-config/table.ts';
import { compareDumps, formatComparison } from './config-diff.ts';
import { localIstiodAddress } from './istiod-address.ts';
import { clusterIstiods, collectSyncz, istiodAt, type IstiodEndpoint } from './istiod-endpoints.ts';
import { findProxyId, syncCells, syncHeader, syncRows } from './sync-rows.ts';

interface Flags extends ClusterFlags {
  istiodAddress?: string;
  mesh?: string;
  namespace?: string;
  file?: string;
  stateDir: string;
  output?: 'json' | 'yaml';
}

function recordedMeshes(stateRoot: string): MeshRecord[] {
  return listMeshIds(stateRoot).map((id) => loadRecord(meshPaths(stateRoot, id)));
}

/** The proxy's own dump: a saved file, or its admin API in a cluster's pod or inside the pod of
 *  a local mesh. */
async function proxyDump(reference: string, flags: Flags, meshes: () => MeshRecord[], cluster: Cluster | undefined): Promise<unknown> {
  if (flags.file === undefined) {
    const namespace = podNamespace(flags.namespace, cluster);
    if (cluster) return fetchClusterProxyAdmin(cluster, reference, namespace, '/config_dump');
    const pod = findLocalPod(meshes().flatMap((mesh) => mesh.pods), reference, namespace);
    return fetchProxyAdmin(pod, '/config_dump');
  }
  return readDumpFile(flags.file);
}

/** istiod's address: the flag, else that of the local mesh holding the pod asked about, else
 *  that of the one local mesh running (`--mesh` picks among several). */
function istiodAddress(flags: Flags, meshes: () => MeshRecord[], reference?: string): string {
  if (flags.istiodAddress !== undefined) return flags.istiodAddress;
  if (reference !== undefined && flags.mesh === undefined) {
    const holding = meshes().filter((mesh) => holdsPod(mesh, reference, podNamespace(flags.namespace, undefined)));
    if (holding.length === 1) return localIstiodAddress(holding);
  }
  return localIstiodAddress(meshes(), flags.mesh);
}

/** The istiods to ask: the address given, else every istiod pod of the cluster, else the
 *  local mesh's. */
async function istiods(flags: Flags, meshes: () => MeshRecord[], cluster: Cluster | undefined, reference?: string): Promise<IstiodEndpoint[]> {
  if (flags.istiodAddress === undefined && cluster) return clusterIstiods(cluster);
  return istiodAt(istiodAddress(flags, meshes, reference));
}

/** The node id of the proxy for POD[.NAMESPACE], and the istiod it is connected to. */
function connectedProxy(all: { istiod: IstiodEndpoint; syncz: unknown[] }[], reference: string, namespace: string): { proxyId: string; istiod: IstiodEndpoint } {
  const proxyId = findProxyId(all.flatMap(({ syncz }) => syncz), reference, namespace);
  const holder = all.find(({ syncz }) => syncz.some((entry) => isObject(entry) && entry.proxy === proxyId)) ?? all[0];
  return { proxyId, istiod: holder.istiod };
}

function holdsPod(mesh: MeshRecord, reference: string, namespace: string): boolean {
  try {
    findLocalPod(mesh.pods, reference, namespace);
    return true;
  } catch {
    return false;
  }
}

function structured(format: 'json' | 'yaml', value: unknown): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

/** `mizzenctl proxy-status` (`ps`): istiod's view of each proxy's sync state, or of one proxy,
 *  the difference between what istiod would send it and what it holds. */
export function proxyStatusCommand(output: Output): Command {
  return addClusterOptions(new Command('proxy-status'))
    .alias('ps')
    .description("Sync state of each proxy with istiod; with a pod, the diff of istiod's config and the proxy's")
    .argument('[pod]', 'POD[.NAMESPACE] of the cluster or the local mesh; a name prefix will do')
    .option('--istiod-address <host:port>', "istiod's HTTP debug address (default: the cluster's istiod pods, or the local mesh's istiod)")
    .option('--mesh <id>', 'the local mesh to ask, when several are running')
    .option('-n, --namespace <namespace>', namespaceOptionHelp)
    .option('-f, --file <dump>', "compare with a saved proxy config dump (Envoy JSON) instead of asking the pod")
    .option('--state-dir <dir>', 'where local meshes record their pods (env MIZZEN_LOCAL_STATE)', defaultStateRoot())
    .addOption(new Option('-o, --output <format>', "json or yaml: istiod's sync status of each proxy (with a pod, both config dumps)").choices(['json', 'yaml']))
    .addHelpText('after', "\nExit codes:\n  0  printed (also when a proxy's config differs from istiod's)\n  1  istiod or the pod cannot be reached, or answers what cannot be read\n  2  a bad flag\n")
    .action(async (reference: string | undefined, flags: Flags) => {
      // Read the local state only when something needs it: a flag or a file may do without.
      const meshes = () => recordedMeshes(flags.stateDir);
      const cluster = flags.istiodAddress !== undefined && (reference === undefined || flags.file !== undefined) ? undefined : clusterFor(flags);
      const all = await collectSyncz(await istiods(flags, meshes, cluster, reference));
      if (reference === undefined) {
        // Read even for -o json, so that a malformed answer is an error either way.
        const rows = all.flatMap(({ istiod, syncz }) => syncRows(syncz, istiod.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        output.out(flags.output ? structured(flags.output, all.flatMap(({ syncz }) => syncz)) : formatTable(syncHeader, rows.map(syncCells)));
        return;
      }
      const { proxyId, istiod } = connectedProxy(all, reference, podNamespace(flags.namespace, cluster));
      const [expected, actual] = await Promise.all([istiod.get(`/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`), proxyDump(reference, flags, meshes, cluster)]);
      output.out(flags.output ? structured(flags.output, { istiod: expected, proxy: actual }) : formatComparison(compareDumps(expected, actual)));
    });
}
