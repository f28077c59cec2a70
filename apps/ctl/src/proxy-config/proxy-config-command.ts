import { Command, InvalidArgumentError, Option } from 'commander';
import { stringify } from 'yaml';
import { addClusterOptions, clusterFor, fetchClusterProxyAdmin, namespaceOptionHelp, podNamespace } from '../cluster/cluster-mesh.ts';
import type { ClusterFlags } from '../cluster/kube-connection.ts';
import { defaultStateRoot } from '../local/mesh-state.ts';
import type { Output } from '../local/local-command.ts';
import { clusterCells, clusterHeader, clusterRows, selectClusters, type ClusterFilter } from './clusters-view.ts';
import { configDumpSections, type DumpSections } from './config-dump-sections.ts';
import {
  endpointCells,
  endpointHeader,
  endpointRowsFromAssignments,
  endpointRowsFromClusterStatuses,
  isClusterStatuses,
  selectAssignments,
  selectClusterStatuses,
  selectEndpoints,
  type EndpointFilter,
} from './endpoints-view.ts';
import { logCommand } from './log-command.ts';
import { listenerCells, listenerHeader, listenerRows, selectListeners, type ListenerFilter } from './listeners-view.ts';
import { fetchProxyAdmin, findLocalPod, readDumpFile, recordedPods } from './pod-config-dump.ts';
import { inlineRouteConfigs, routeCells, routeHeader, routeRows, selectRouteConfigs, type RouteFilter } from './routes-view.ts';
import { secretCells, secretHeader, secretRowsOf } from './secrets-view.ts';
import { formatTable } from './table.ts';

type Format = 'short' | 'json' | 'yaml';

interface CommonFlags extends ClusterFlags {
  file?: string;
  namespace?: string;
  output: Format;
  stateDir: string;
}

/** A dump read from a file or a pod (of a cluster or of the local mesh): the ConfigDump, or
 *  Envoy's /clusters?format=json. */
async function loadDump(pod: string | undefined, flags: CommonFlags, adminPath: string): Promise<unknown> {
  if (flags.file !== undefined) return readDumpFile(flags.file);
  if (pod === undefined) throw new Error('name a pod (POD[.NAMESPACE]) or give --file DUMP.json');
  const cluster = clusterFor(flags);
  if (cluster) return fetchClusterProxyAdmin(cluster, pod, podNamespace(flags.namespace, cluster), adminPath);
  return fetchProxyAdmin(findLocalPod(recordedPods(flags.stateDir), pod, podNamespace(flags.namespace, undefined)), adminPath);
}

function render(format: Format, raw: unknown, table: () => string): string {
  if (format === 'json') return JSON.stringify(raw, null, 2) + '\n';
  if (format === 'yaml') return stringify(raw);
  return table();
}

function port(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) throw new InvalidArgumentError('not a port (1-65535)');
  return value;
}

function listenerProtocol(text: string): string {
  const value = text.toUpperCase();
  if (!['HTTP', 'TCP', 'HTTP+TCP'].includes(value)) throw new InvalidArgumentError('not HTTP, TCP or HTTP+TCP');
  return value;
}

/** Each view: its flags, and how it prints the sections of a dump. */
interface View {
  name: string;
  description: string;
  flags: (command: Command) => Command;
  print: (sections: DumpSections, flags: CommonFlags & Record<string, unknown>) => { raw: unknown; table: string };
}

const listenersView: View = {
  name: 'listeners',
  description: "Listeners of a pod's proxy: a row per filter chain",
  flags: (c) =>
    c
      .option('--port <port>', 'only listeners on this port', port)
      .option('--address <address>', 'only listeners on this address')
      .option('--type <type>', 'only listeners of this protocol: HTTP, TCP or HTTP+TCP', listenerProtocol),
  print: (sections, flags) => {
    const filter = flags as ListenerFilter;
    return { raw: selectListeners(sections.listeners, filter), table: formatTable(listenerHeader, listenerRows(sections.listeners, filter).map(listenerCells)) };
  },
};

const clustersView: View = {
  name: 'clusters',
  description: "Clusters of a pod's proxy",
  flags: (c) =>
    c
      .option('--fqdn <fqdn>', 'only clusters whose service FQDN contains this')
      .option('--port <port>', 'only clusters of this port', port)
      .option('--subset <subset>', 'only clusters of this subset')
      .option('--direction <direction>', 'only clusters of this direction (inbound, outbound)'),
  print: (sections, flags) => {
    const filter = flags as ClusterFilter;
    return { raw: selectClusters(sections.clusters, filter), table: formatTable(clusterHeader, clusterRows(sections.clusters, filter).map(clusterCells)) };
  },
};

const routesView: View = {
  name: 'routes',
  description: "Routes of a pod's proxy, from RDS and inline in listeners: a row per route",
  flags: (c) => c.option('--name <name>', 'only the route configuration of this name'),
  print: (sections, flags) => {
    const filter = flags as RouteFilter;
    const fromRds = new Set(sections.routes.map((config) => config.name));
    const configs = [...sections.routes, ...inlineRouteConfigs(sections.listeners).filter((config) => !fromRds.has(config.name))];
    return { raw: selectRouteConfigs(configs, filter), table: formatTable(routeHeader, routeRows(configs, filter).map(routeCells)) };
  },
};

const endpointsView: View = {
  name: 'endpoints',
  description: "Endpoints of a pod's proxy (a config dump with EDS, or Envoy's /clusters?format=json)",
  flags: (c) =>
    c
      .option('--address <address>', 'only endpoints of this address')
      .option('--port <port>', 'only endpoints of this port', port)
      .option('--cluster <cluster>', 'only endpoints of this cluster')
      .option('--status <status>', 'only endpoints of this status (healthy, unhealthy, ...)'),
  print: (sections, flags) => {
    const filter = flags as EndpointFilter;
    const rows = selectEndpoints(endpointRowsFromAssignments(sections.endpoints), filter);
    return { raw: selectAssignments(sections.endpoints, filter), table: formatTable(endpointHeader, rows.map(endpointCells)) };
  },
};

const bootstrapView: View = {
  name: 'bootstrap',
  description: "The bootstrap of a pod's proxy (JSON unless -o yaml)",
  flags: (c) => c,
  print: (sections) => {
    if (!sections.bootstrap) throw new Error('config dump: no BootstrapConfigDump');
    return { raw: sections.bootstrap, table: JSON.stringify(sections.bootstrap, null, 2) + '\n' };
  },
};

const secretView: View = {
  name: 'secret',
  description: "Secrets of a pod's proxy (SDS and static): a row per certificate chain or CA, with its validity",
  flags: (c) => c,
  print: (sections) => ({ raw: sections.secrets ?? {}, table: formatTable(secretHeader, secretRowsOf(sections.secrets).map(secretCells)) }),
};

const tableViews = [clustersView, listenersView, routesView, endpointsView];

function addCommon(command: Command): Command {
  return addClusterOptions(command)
    .argument('[pod]', 'POD[.NAMESPACE] of the cluster or the local mesh; a name prefix will do')
    .option('-n, --namespace <namespace>', namespaceOptionHelp)
    .option('-f, --file <dump>', 'read a saved config dump (Envoy JSON) instead of asking the pod')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['short', 'json', 'yaml']).default('short'))
    .option('--state-dir <dir>', 'where local meshes record their pods (env MIZZEN_LOCAL_STATE)', defaultStateRoot())
    .addHelpText('after', '\nExit codes:\n  0  printed\n  1  an unknown pod, a proxy that cannot be reached, or a dump that cannot be read\n  2  a bad flag\n');
}

function viewCommand(view: View, output: Output): Command {
  return view
    .flags(addCommon(new Command(view.name).description(view.description)))
    .action(async (pod: string | undefined, flags: CommonFlags & Record<string, unknown>) => {
      // The endpoints view also reads Envoy's /clusters?format=json, which knows live health.
      const dump = await loadDump(pod, flags, '/config_dump?include_eds');
      if (view === endpointsView && isClusterStatuses(dump)) {
        const filter = flags as EndpointFilter;
        const rows = selectEndpoints(endpointRowsFromClusterStatuses(dump), filter);
        output.out(render(flags.output, selectClusterStatuses(dump, filter), () => formatTable(endpointHeader, rows.map(endpointCells))));
        return;
      }
      const printed = view.print(configDumpSections(dump), flags);
      output.out(render(flags.output, printed.raw, () => printed.table));
    });
}

/** `mizzenctl proxy-config` (`pc`): istioctl's views of a proxy's configuration. */
export function proxyConfigCommand(output: Output): Command {
  const command = new Command('proxy-config').alias('pc').description("Show a proxy's configuration, as istioctl proxy-config does");
  for (const view of [...tableViews, secretView, bootstrapView]) command.addCommand(viewCommand(view, output));
  command.addCommand(logCommand(output));
  command.addCommand(
    addCommon(new Command('all').description('Clusters, listeners, routes and endpoints of a proxy')).action(async (pod: string | undefined, flags: CommonFlags) => {
      const dump = await loadDump(pod, flags, '/config_dump?include_eds');
      const sections = configDumpSections(dump);
      if (flags.output !== 'short') {
        output.out(render(flags.output, dump, () => ''));
        return;
      }
      output.out(tableViews.map((view) => view.print(sections, { ...flags }).table).join('\n'));
    }),
  );
  return command;
}
