import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { addClusterOptions, clusterFor, fetchClusterProxyAdmin, namespaceOptionHelp, podNamespace } from '../cluster/cluster-mesh.ts';
import type { ClusterFlags } from '../cluster/kube-connection.ts';
import type { Output } from '../local/local-command.ts';
import { defaultStateRoot } from '../local/mesh-state.ts';
import { configDumpSections } from '../proxy-config/config-dump-sections.ts';
import { fetchProxyAdmin, findLocalPod, readDumpFile, recordedPods, type NetnsExec } from '../proxy-config/pod-config-dump.ts';
import { formatTable } from '../proxy-config/table.ts';
import { explain } from './explain.ts';
import { explainRequest } from './explain-request.ts';

interface ExplainFlags extends ClusterFlags {
  header: string[];
  request: string;
  address?: string;
  file?: string;
  namespace?: string;
  stateDir: string;
  output: 'table' | 'json' | 'yaml';
}

/** The pod's config dump with its endpoints: from a cluster's pod, or a local mesh's. */
function podDump(pod: string, flags: ExplainFlags, exec?: NetnsExec): Promise<unknown> {
  const cluster = clusterFor(flags);
  const namespace = podNamespace(flags.namespace, cluster);
  if (cluster) return fetchClusterProxyAdmin(cluster, pod, namespace, '/config_dump?include_eds');
  return fetchProxyAdmin(findLocalPod(recordedPods(flags.stateDir), pod, namespace), '/config_dump?include_eds', exec);
}

/** `mizzenctl x explain POD URL`: the way a request from the pod would take through its
 *  sidecar, read from the sidecar's own config; no request is sent. */
export function explainCommand(output: Output, exec?: NetnsExec): Command {
  return addClusterOptions(new Command('explain'))
    .description("Explain which listener, filter chain, route, cluster and endpoints a request from a pod would take through its sidecar, and which Istio resource made each step (nothing is sent)")
    .argument('<pod>', 'POD[.NAMESPACE] of the cluster or the local mesh (with --file, only a label)')
    .argument('<url>', 'the request, e.g. http://reviews:9080/reviews/0')
    .option('-H, --header <name:value>', 'a request header (repeatable)', (value: string, previous: string[]) => [...previous, value], [])
    .option('-X, --request <method>', 'the request method', 'GET')
    .option('--address <ip>', 'the address the app connects to, when the URL names a host the config does not list')
    .option('-f, --file <dump>', "read a saved config dump (Envoy's /config_dump?include_eds) instead of asking the pod")
    .option('-n, --namespace <namespace>', namespaceOptionHelp)
    .option('--state-dir <dir>', 'where local meshes record their pods (env MIZZEN_LOCAL_STATE)', defaultStateRoot())
    .addOption(
      new Option('-o, --output <format>', 'table, json or yaml').choices(['table', 'json', 'yaml']).default('table'),
    )
    .addHelpText('after', '\nExit codes: 0 explained, 1 a bad URL or header, an unreadable dump or an unknown pod, 2 a bad flag.')
    .action(async (pod: string, url: string, flags: ExplainFlags) => {
      const request = explainRequest(url, flags.header, flags.request);
      const dump = flags.file ? await readDumpFile(flags.file) : await podDump(pod, flags, exec);
      const steps = explain(configDumpSections(dump), request, flags.address);
      if (flags.output === 'json') output.out(`${JSON.stringify(steps, null, 2)}\n`);
      else if (flags.output === 'yaml') output.out(stringify(steps));
      else output.out(formatTable(['STEP', 'CHOSEN', 'WHY', 'FROM'], steps.map((s) => [s.step.toUpperCase(), s.name, s.detail, s.source ?? ''])));
    });
}
