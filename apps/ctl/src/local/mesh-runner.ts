import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Service } from '@mizzen/config';
import { createMeshBridge, createPodNetwork, deleteLink, deletePodNetwork, podAddress } from '@mizzen/net';
import { readManifests } from './manifests.ts';
import { createMeshDirs, meshPaths, saveRecord, removeMeshDir, type MeshPaths, type MeshRecord, type ProcessRecord } from './mesh-state.ts';
import { planPods, type PodPlan } from './pod-plan.ts';
import { isRunning, processStartTime, startProcess, stopGroups } from './process-group.ts';
import { waitUntilReady } from './readiness.ts';
import { waitForContainerPorts } from './container-ports.ts';

/** The repository's own executables (istiod, pilot-agent, mizzen-proxy, node). */
const binDir = fileURLToPath(new URL('../../../../node_modules/.bin', import.meta.url));

export const xdsPort = 15010;
export const istiodHttpPort = 8080;
export const agentStatusPort = 15021;

export interface UpOptions {
  configDir: string;
  stateRoot: string;
  readyTimeoutMs: number;
  /** Aborting stops the start-up; the caller then tears down. */
  signal: AbortSignal;
  progress: (line: string) => void;
}

export interface RunningMesh {
  record: MeshRecord;
  paths: MeshPaths;
  pods: PodPlan[];
  services: Service[];
  /** Called when a process exits while the mesh runs. */
  onExit: (listener: (process: ProcessRecord, code: number | null, signal: string | null) => void) => void;
}

/** Builds the mesh: network, pods, istiod, apps and agents; resolves once every agent is ready.
 *  The record is saved before each step acts, so a failure at any point can be torn down. */
export async function upMesh(options: UpOptions, started: (record: MeshRecord, paths: MeshPaths) => void): Promise<RunningMesh> {
  const configDir = resolve(options.configDir);
  const manifests = await readManifests(configDir);
  if (manifests.deployments.length === 0) throw new Error(`${configDir}: no Deployment to run`);

  const id = randomBytes(3).toString('hex');
  const paths = meshPaths(options.stateRoot, id);
  createMeshDirs(paths);
  const record: MeshRecord = { id, configDir, runner: { pid: process.pid, startTime: processStartTime(process.pid) }, pods: [], processes: [] };
  saveRecord(paths, record);
  started(record, paths);

  record.bridge = `mzbr${id}`;
  saveRecord(paths, record);
  const subnet = await createMeshBridge(record.bridge);
  Object.assign(record, { subnet: subnet.cidr, gateway: subnet.gateway });
  saveRecord(paths, record);
  options.progress(`mesh ${id}: bridge ${record.bridge} on ${subnet.cidr}, state in ${paths.dir}`);
  const pods = planPods(manifests.deployments, { address: (i) => podAddress(subnet, i) });

  for (const pod of pods) {
    options.signal.throwIfAborted();
    const netns = `mz-${id}-${pod.name}`;
    record.pods.push({ name: pod.name, namespace: pod.namespace, netns, ip: pod.ip });
    saveRecord(paths, record);
    await createPodNetwork({ netns, bridge: record.bridge, address: `${pod.ip}/${subnet.prefixLength}` });
    writeFileSync(join(paths.pods, `${pod.namespace}.${pod.name}.yaml`), stringify(pod.pod));
  }

  const exitListeners: ((process: ProcessRecord, code: number | null, signal: string | null) => void)[] = [];
  const start = (entry: Omit<ProcessRecord, 'pid' | 'startTime'>, argv: string[], env: NodeJS.ProcessEnv, netns?: string): void => {
    const child = startProcess({ netns, argv, env: { ...env, PATH: `${binDir}:${process.env.PATH ?? ''}` }, cwd: workDir(configDir), logFile: entry.log });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot start ${argv.join(' ')}`);
    const processRecord: ProcessRecord = { ...entry, pid, startTime: processStartTime(pid) };
    record.processes.push(processRecord);
    saveRecord(paths, record);
    child.on('exit', (code, signal) => exitListeners.forEach((listener) => listener(processRecord, code, signal)));
  };

  const gateway = subnet.gateway;
  options.progress(`starting istiod on ${gateway}:${xdsPort}`);
  start({ role: 'istiod', log: join(paths.logs, 'istiod.log') }, [join(binDir, 'istiod'), '--config-dir', configDir, '--config-dir', paths.pods, '--xds-address', `${gateway}:${xdsPort}`, '--http-address', `${gateway}:${istiodHttpPort}`], baseEnv());

  for (const pod of pods) {
    const netns = `mz-${id}-${pod.name}`;
    for (const container of pod.containers) {
      start({ role: 'app', pod: pod.name, container: container.name, log: join(paths.logs, `${pod.name}.${container.name}.log`) }, container.argv, { ...baseEnv(), ...container.env }, netns);
    }
    start({ role: 'agent', pod: pod.name, container: 'istio-proxy', log: join(paths.logs, `${pod.name}.istio-proxy.log`) }, agentArgv(pod, gateway, paths), { ...baseEnv(), ...agentEnv(pod) }, netns);
  }

  options.progress(`waiting for ${pods.length} pods to be ready`);
  const earlyExit = new Promise<never>((_, reject) => {
    exitListeners.push((p, code, signal) => reject(new Error(`${describeProcess(p)} exited (${signal ?? `code ${code}`}) before the mesh was ready\n${logTail(p.log)}`)));
  });
  earlyExit.catch(() => undefined);
  const probes = pods.map((pod) => ({ name: pod.name, url: `http://${pod.ip}:${agentStatusPort}/healthz/ready` }));
  // Whichever comes first, the probing stops with it.
  const probing = new AbortController();
  const signal = AbortSignal.any([options.signal, probing.signal]);
  try {
    const appsListening = Promise.all(pods.map((pod) => waitForContainerPorts(`mz-${id}-${pod.name}`, pod.name, containerPorts(pod), { timeoutMs: options.readyTimeoutMs, signal })));
    const agentsReady = waitUntilReady(probes, { timeoutMs: options.readyTimeoutMs, signal });
    await Promise.race([Promise.all([agentsReady, appsListening]), earlyExit, abortion(options.signal)]);
  } finally {
    probing.abort();
  }
  exitListeners.length = 0;
  return { record, paths, pods, services: manifests.services, onExit: (listener) => exitListeners.push(listener) };
}

/** Stops every recorded process and removes every namespace, link and file the mesh made.
 *  Each step tolerates what is already gone, so it also cleans up after a killed runner. */
export async function tearDown(record: MeshRecord, paths: MeshPaths, graceMs = 10_000): Promise<string[]> {
  const problems: string[] = [];
  if (!(await stopGroups(record.processes, graceMs))) problems.push('some processes outlived SIGKILL');
  for (const pod of record.pods) {
    await deletePodNetwork(pod.netns).catch((error: Error) => problems.push(`pod ${pod.name}: ${error.message}`));
  }
  if (record.bridge) await deleteLink(record.bridge).catch((error: Error) => problems.push(`bridge ${record.bridge}: ${error.message}`));
  if (problems.length === 0) removeMeshDir(paths);
  return problems;
}

export function runnerAlive(record: MeshRecord): boolean {
  return record.runner.pid !== process.pid && isRunning(record.runner);
}

/** The TCP ports the pod's containers declare. */
function containerPorts(pod: PodPlan): number[] {
  return pod.pod.spec.containers.flatMap((c) => (c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => p.containerPort));
}

function agentArgv(pod: PodPlan, gateway: string, paths: MeshPaths): string[] {
  return [
    join(binDir, 'pilot-agent'),
    'proxy',
    'sidecar',
    '--discovery-address',
    `${gateway}:${xdsPort}`,
    '--config-path',
    join(paths.agents, `${pod.namespace}.${pod.name}`),
    // Many pods share one machine: one worker each, and a quick drain on the way down.
    '--concurrency',
    '1',
    '--drain-duration',
    '2s',
  ];
}

/** What Istio's injector gives the istio-proxy container; no capture, so mode NONE. */
function agentEnv(pod: PodPlan): Record<string, string> {
  return {
    POD_NAME: pod.name,
    POD_NAMESPACE: pod.namespace,
    INSTANCE_IP: pod.ip,
    SERVICE_ACCOUNT: pod.serviceAccount,
    ISTIO_META_INTERCEPTION_MODE: 'NONE',
    ISTIO_META_WORKLOAD_NAME: pod.deployment,
    ISTIO_META_APP_CONTAINERS: pod.containers.map((c) => c.name).join(','),
    ISTIO_METAJSON_LABELS: JSON.stringify(pod.labels),
  };
}

/** A container sees a small, clean environment, as in a real pod. */
function baseEnv(): NodeJS.ProcessEnv {
  return { HOME: process.env.HOME ?? '/', LANG: process.env.LANG ?? 'C.UTF-8' };
}

/** Relative paths in a container's command resolve from the repository holding the manifests. */
function workDir(configDir: string): string {
  for (let dir = configDir; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return configDir;
  }
}

export function describeProcess(p: ProcessRecord): string {
  return p.role === 'istiod' ? 'istiod' : `pod ${p.pod} container ${p.container}`;
}

export function logTail(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
    return `--- last lines of ${file}\n${text.join('\n')}`;
  } catch {
    return `(no log at ${file})`;
  }
}

async function abortion(signal: AbortSignal): Promise<never> {
  if (!signal.aborted) await once(signal, 'abort');
  throw new Error('stopped before the mesh was ready');
}
