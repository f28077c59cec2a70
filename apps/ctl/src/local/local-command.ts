import { Command, InvalidArgumentError, Option } from 'commander';
import { stringify } from 'yaml';
import { listNetns } from '@mizzen/net';
import { defaultStateRoot, listMeshIds, loadRecord, meshPaths, type MeshPaths, type MeshRecord } from './mesh-state.ts';
import { fetchIstiodJson } from '../proxy-status/istiod-client.ts';
import { syncRows, type SyncRow } from '../proxy-status/sync-rows.ts';
import { agentStatusPort, istiodHttpPort, runnerAlive, tearDown, upMesh } from './mesh-runner.ts';
import { containerSummary, istiodSummary, readyCount, syncSummary } from './pod-status.ts';
import { isRunning } from './process-group.ts';
import { missingPrerequisite } from './prerequisites.ts';
import { probe } from './readiness.ts';
import { serviceUrls } from './service-urls.ts';

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** `mizzenctl local`: run a whole mesh on this machine, each pod in its own network namespace. */
export function localCommand(output: Output, setExitCode: (code: number) => void): Command {
  const local = new Command('local').description('Run a mesh on this machine: istiod, and each pod in its own network namespace (needs root)');
  local
    .command('up')
    .description('Start the Deployments of the manifests in DIR, with istiod and a sidecar per pod; stays until Ctrl-C')
    .argument('<dir>', 'folder of Kubernetes manifests (*.yaml)')
    .option('--state-dir <dir>', 'where meshes record what they made (env MIZZEN_LOCAL_STATE)', defaultStateRoot())
    .option('--timeout <seconds>', 'how long to wait for every pod to be ready', seconds, 90)
    .option('--resolv-conf <file>', "the resolvers that names outside the mesh go to, as the kubelet's flag", '/etc/resolv.conf')
    .addHelpText('after', '\nExit codes:\n  0  the mesh ran and was stopped and removed\n  1  it could not start (missing root or tools, a failure on the way), or parts of it remain\n  2  a bad flag, or a mesh already runs from this state folder\n')
    .action(async (dir: string, flags: UpFlags) => setExitCode(await up(dir, flags, output)));
  local
    .command('down')
    .description('Stop meshes and remove what they made (all recorded meshes unless named)')
    .argument('[mesh...]', 'mesh ids, as `local status` lists them')
    .option('--state-dir <dir>', 'where meshes record what they made (env MIZZEN_LOCAL_STATE)', defaultStateRoot())
    .addHelpText('after', '\nExit codes:\n  0  every mesh named (or recorded) is gone\n  1  a mesh is not recorded, or parts of one remain\n  2  a bad flag\n')
    .action(async (ids: string[], flags: { stateDir: string }) => setExitCode(await down(ids, flags.stateDir, output)));
  local
    .command('status')
    .description('List the recorded meshes and their pods')
    .option('--state-dir <dir>', 'where meshes record what they made (env MIZZEN_LOCAL_STATE)', defaultStateRoot())
    .addOption(new Option('-o, --output <format>', 'json or yaml: the meshes and their pods as data').choices(['json', 'yaml']))
    .addHelpText('after', '\nExit codes:\n  0  printed (also when there is no mesh)\n  2  a bad flag\n')
    .action(async (flags: { stateDir: string; output?: 'json' | 'yaml' }) => setExitCode(await status(flags.stateDir, output, flags.output)));
  return local;
}

function seconds(text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value <= 0) throw new InvalidArgumentError('not a positive number of seconds');
  return value;
}

interface UpFlags {
  stateDir: string;
  timeout: number;
  resolvConf: string;
}

async function up(dir: string, flags: UpFlags, output: Output): Promise<number> {
  const missing = missingPrerequisite(process.getuid?.(), process.env.PATH);
  if (missing) {
    output.err(`error: ${missing}\n`);
    return 1;
  }
  // One mesh per state folder, as one cluster per kubeconfig context.
  for (const id of listMeshIds(flags.stateDir)) {
    let record: MeshRecord;
    try {
      record = loadRecord(meshPaths(flags.stateDir, id));
    } catch {
      continue;
    }
    if (runnerAlive(record)) {
      output.err(`error: mesh ${id} already runs from ${flags.stateDir} (runner pid ${record.runner.pid}); stop it with: mizzenctl local down ${id}\n`);
      return 2;
    }
  }
  const abort = new AbortController();
  let stopping = false;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      abort.abort();
      resolve(signal);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
  let made: { record: MeshRecord; paths: MeshPaths } | undefined;
  try {
    const mesh = await upMesh({ configDir: dir, stateRoot: flags.stateDir, readyTimeoutMs: flags.timeout * 1000, resolvConf: flags.resolvConf, signal: abort.signal, progress: (line) => output.err(`${line}\n`) }, (record, paths) => {
      made = { record, paths };
    });
    output.out(podTable(mesh.record.pods.map((pod) => [pod.name, pod.namespace, pod.ip, String(mesh.notReady.get(pod.name) === undefined)])));
    for (const [pod, reason] of mesh.notReady) if (reason !== undefined) output.err(`pod ${pod} is not ready: ${reason}\n`);
    for (const url of serviceUrls(mesh.services, mesh.pods)) output.out(`curl ${url.url}    # ${url.service}:${url.port} via ${url.pod}\n`);
    for (const port of mesh.exposed) output.out(`curl http://127.0.0.1:${port.hostPort}/    # ${port.service}:${port.port} via the host's loopback (LoadBalancer)\n`);
    const ingress = mesh.exposed.find((port) => port.service.startsWith('istio-ingressgateway.') && (port.port === 80 || port.port === 8080));
    if (ingress) output.out(`Ingress gateway: http://127.0.0.1:${ingress.hostPort}/ (for Bookinfo, with networking/bookinfo-gateway.yaml in the folder: /productpage)\n`);
    output.out(`Mesh ${mesh.record.id} ready. Stop it with Ctrl-C (or: mizzenctl local down ${mesh.record.id}).\n`);
    const signal = await stopped;
    mesh.close();
    output.err(`${signal}: stopping mesh ${mesh.record.id}\n`);
    return await cleanUp(mesh.record, mesh.paths, output, 0);
  } catch (error) {
    output.err(`error: ${(error as Error).message}\n`);
    return made ? await cleanUp(made.record, made.paths, output, 1) : 1;
  }
}

async function cleanUp(record: MeshRecord, paths: MeshPaths, output: Output, code: number): Promise<number> {
  const problems = await tearDown(record, paths);
  for (const problem of problems) output.err(`clean-up: ${problem}\n`);
  if (problems.length > 0) output.err(`mesh ${record.id}: some parts remain; run mizzenctl local down ${record.id}\n`);
  else output.err(`mesh ${record.id}: stopped and removed\n`);
  return problems.length > 0 ? 1 : code;
}

async function down(ids: string[], stateRoot: string, output: Output): Promise<number> {
  const known = listMeshIds(stateRoot);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    output.err(`error: no mesh ${unknown.join(', ')} recorded in ${stateRoot}\n`);
    return 1;
  }
  let code = 0;
  for (const id of ids.length > 0 ? ids : known) {
    const paths = meshPaths(stateRoot, id);
    const record = loadRecord(paths);
    // A runner still in the foreground cleans up itself on SIGTERM; the tear-down that follows
    // only finds what it missed.
    if (runnerAlive(record)) {
      process.kill(record.runner.pid, 'SIGTERM');
      const deadline = Date.now() + 20_000;
      while (isRunning(record.runner) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    code = Math.max(code, await cleanUp(record, paths, output, 0));
  }
  return code;
}

/** One mesh as `local status` shows it. */
interface MeshStatus {
  id: string;
  configDir: string;
  podRange: string | undefined;
  serviceRange: string | undefined;
  runner: 'running' | 'gone';
  /** istiod's process as the runner supervises it ('?' when no runner keeps it current). */
  istiodState: string;
  /** Why the sidecars' sync state is unknown, when it is. */
  istiod: string | undefined;
  pods: { name: string; namespace: string; ip: string; ready: string; sync: string; containers: string }[];
}

async function status(stateRoot: string, output: Output, format?: 'json' | 'yaml'): Promise<number> {
  const meshes = await Promise.all(listMeshIds(stateRoot).map(async (id) => meshStatus(loadRecord(meshPaths(stateRoot, id)), new Set(await listNetns()))));
  if (format) {
    const data = { meshes };
    output.out(format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data));
    return 0;
  }
  if (meshes.length === 0) output.out('no local mesh\n');
  for (const mesh of meshes) {
    output.out(`mesh ${mesh.id} (${mesh.configDir}) on ${mesh.podRange ?? '?'}, services on ${mesh.serviceRange ?? '?'}: runner ${mesh.runner}\n`);
    output.out(`  istiod: ${mesh.istiodState}\n`);
    if (mesh.istiod) output.out(`  ${mesh.istiod}\n`);
    const rows = mesh.pods.map((pod) => [pod.name, pod.namespace, pod.ip, pod.ready, pod.sync, pod.containers]);
    output.out(podTable(rows, ['NAME', 'NAMESPACE', 'IP', 'READY', 'SYNC', 'CONTAINERS']));
  }
  return 0;
}

async function meshStatus(record: MeshRecord, namespaces: Set<string>): Promise<MeshStatus> {
  const running = runnerAlive(record);
  const sync = await istiodSync(record);
  const pods = await Promise.all(
    record.pods.map(async (pod) => {
      const base = { name: pod.name, namespace: pod.namespace, ip: pod.ip };
      if (!namespaces.has(pod.netns)) return { ...base, ready: 'no netns', sync: '-', containers: '-' };
      const sidecarReady = (await probe(`http://${pod.ip}:${agentStatusPort}/healthz/ready`, 2000)).ready;
      // Only a running runner keeps the containers' states and probe results current.
      const ready = running ? readyCount(record.processes.filter((p) => p.pod === pod.name), sidecarReady) : String(sidecarReady);
      const syncState = typeof sync === 'string' ? '?' : syncSummary(sync.get(`${pod.name}.${pod.namespace}`));
      const containers = running ? containerSummary(record.processes.filter((p) => p.pod === pod.name)) : '?';
      return { ...base, ready, sync: syncState, containers };
    }),
  );
  return { id: record.id, configDir: record.configDir, podRange: record.subnet, serviceRange: record.serviceRange, runner: running ? 'running' : 'gone', istiodState: running ? istiodSummary(record.processes) : '?', istiod: typeof sync === 'string' ? sync : undefined, pods };
}

/** Each sidecar's sync state from the mesh's istiod, by POD.NAMESPACE, or why it is unknown. */
async function istiodSync(record: MeshRecord): Promise<Map<string, SyncRow> | string> {
  if (!record.gateway) return 'istiod: not started';
  const address = `${record.gateway}:${istiodHttpPort}`;
  try {
    return new Map(syncRows(await fetchIstiodJson(address, '/debug/syncz'), address).map((row) => [row.name, row]));
  } catch (error) {
    return `istiod: ${(error as Error).message}`;
  }
}

function podTable(rows: string[][], header = ['NAME', 'NAMESPACE', 'IP', 'READY']): string {
  const all = [header, ...rows];
  const widths = all[0].map((_, i) => Math.max(...all.map((row) => row[i].length)));
  return all.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd() + '\n').join('');
}

