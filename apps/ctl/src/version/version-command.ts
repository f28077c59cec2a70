import { Command, InvalidArgumentError, Option } from 'commander';
import { stringify } from 'yaml';
import packageJson from '../../package.json' with { type: 'json' };
import { addClusterOptions, clusterFor } from '../cluster/cluster-mesh.ts';
import type { ClusterFlags } from '../cluster/kube-connection.ts';
import type { Output } from '../local/local-command.ts';
import { defaultStateRoot, listMeshIds, loadRecord, meshPaths } from '../local/mesh-state.ts';
import { localIstiodAddress } from '../proxy-status/istiod-address.ts';
import { clusterIstiods, collectSyncz, istiodAt, type IstiodEndpoint } from '../proxy-status/istiod-endpoints.ts';
import { controlPlaneInfo, dataPlaneVersions, formatVersion, type BuildInfo, type MeshVersion } from './mesh-version.ts';

interface Flags extends ClusterFlags {
  remote: boolean;
  short: boolean;
  output?: 'json' | 'yaml';
  istiodAddress?: string;
  mesh?: string;
  stateDir: string;
}

/** This program's own build. */
export function clientVersion(): BuildInfo {
  return { version: packageJson.version, revision: 'default', node_version: process.version, status: 'Clean', tag: packageJson.version };
}

/** `--remote=false` as well as `--remote false` and a bare `--remote`, as istioctl takes them. */
function parseBoolean(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('expected true or false');
}

/** The istiods to ask: at the address given, the cluster's istiod pods, or the local mesh's;
 *  undefined when there is no cluster and no local mesh runs. */
async function istiods(flags: Flags): Promise<IstiodEndpoint[] | undefined> {
  if (flags.istiodAddress !== undefined) return istiodAt(flags.istiodAddress);
  const cluster = flags.mesh === undefined ? clusterFor(flags) : undefined;
  if (cluster) return clusterIstiods(cluster);
  const meshes = listMeshIds(flags.stateDir).map((id) => loadRecord(meshPaths(flags.stateDir, id)));
  if (flags.mesh === undefined && !meshes.some((mesh) => mesh.gateway)) return undefined;
  return istiodAt(localIstiodAddress(meshes, flags.mesh));
}

function print(output: Output, mesh: MeshVersion, flags: Flags): void {
  if (flags.output === 'json') output.out(`${JSON.stringify(mesh, null, 2)}\n`);
  else if (flags.output === 'yaml') output.out(stringify(mesh));
  else if (!flags.remote && flags.short) output.out(`${mesh.clientVersion.version}\n`);
  else output.out(formatVersion(mesh, flags.short));
}

/** `mizzenctl version`: the client's version, istiod's (its /version) and each connected
 *  proxy's (ISTIO_VERSION, from istiod's /debug/syncz), as istioctl prints them. */
export function versionCommand(output: Output, setExitCode: (code: number) => void): Command {
  return addClusterOptions(new Command('version'))
    .description('Versions of the client, the control plane and the data plane')
    .addOption(new Option('--remote [bool]', "also ask istiod for its version and its proxies' (--remote=false: the client alone)").argParser(parseBoolean).default(true))
    .addOption(new Option('-s, --short [bool]', 'just the version numbers (--short=false: every build field, and each proxy)').argParser(parseBoolean).default(true))
    .addOption(new Option('-o, --output <format>', 'json or yaml instead of text').choices(['json', 'yaml']))
    .option('--istiod-address <host:port>', "istiod's HTTP debug address (default: the cluster's istiod pods, or the local mesh's istiod)")
    .option('--mesh <id>', 'the local mesh to ask, when several are running')
    .option('--state-dir <dir>', 'where local meshes record their pods (env MIZZEN_LOCAL_STATE)', defaultStateRoot())
    .addHelpText('after', '\nExit codes:\n  0  versions printed (also when there is no mesh to ask: the client version, and a line saying so)\n  1  istiod does not answer, or answers what is not a version\n  2  a bad flag\n')
    .action(async (flags: Flags) => {
      const mesh: MeshVersion = { clientVersion: clientVersion() };
      if (!flags.remote) return print(output, mesh, flags);
      let endpoints: IstiodEndpoint[] | undefined;
      try {
        endpoints = await istiods(flags);
        if (endpoints !== undefined) {
          const found = endpoints;
          const [infos, all] = await Promise.all([Promise.all(found.map((istiod) => istiod.get('/version'))), collectSyncz(found)]);
          mesh.meshVersion = infos.map((info) => ({ Component: 'istiod', Revision: controlPlaneInfo(info).revision || 'default', Info: controlPlaneInfo(info) }));
          mesh.dataPlaneVersion = dataPlaneVersions(all.flatMap(({ syncz }) => syncz));
        }
      } catch (error) {
        // The client's version stands on its own; the failure is said after it.
        print(output, mesh, flags);
        output.err(`error: ${(error as Error).message}\n`);
        setExitCode(1);
        return;
      }
      if (endpoints === undefined) {
        print(output, mesh, flags);
        // Part of the answer in text; beside it, so that JSON and YAML stay parseable.
        const line = 'control plane version: none: no local mesh is running and no kubeconfig is found (start one with mizzenctl local up, or give --kubeconfig FILE or --istiod-address HOST:PORT)\n';
        (flags.output === undefined ? output.out : output.err)(line);
        return;
      }
      print(output, mesh, flags);
    });
}
