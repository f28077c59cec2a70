import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { appendFile } from 'node:fs/promises';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Container, Pod, Service } from '@mizzen/config';
import { defaultInjectionSettings, injectionDecision, injectPod, INIT_CONTAINER_NAME, PROXY_CONTAINER_NAME, type InjectionSettings } from '@mizzen/inject';
import { createMeshBridge, deleteLink, podAddress } from '@mizzen/net';
import { ConfigMirror, type ServiceAddress } from './config-mirror.ts';
import { readManifests } from './manifests.ts';
import { createMeshDirs, meshPaths, saveRecord, removeMeshDir, type MeshPaths, type MeshRecord, type PodRecord, type ProcessRecord } from './mesh-state.ts';
import { planPods, type PodPlan } from './pod-plan.ts';
import { planRollout } from './deployment-sync.ts';
import { exposeOnLoopback, loadBalancerPlans, type ExposedPort } from './load-balancer.ts';
import { hostsFile, resolvConf, writePodDns } from './pod-dns.ts';
import { asUser, createPodSandbox, deletePodSandbox, runInitContainer } from './pod-sandbox.ts';
import { mountRepositoryView, othersCanEnter, throughView, unmountRepositoryView } from './repository-view.ts';
import { claimServiceRange, nameserverAddress, releaseServiceRange } from './service-range.ts';
import { isRunning, processStartTime, startProcess, stopGroups } from './process-group.ts';
import { Supervisor } from './process-supervisor.ts';
import { waitUntilReady } from './readiness.ts';
import { waitForContainerPorts } from './container-ports.ts';
import { compileCacheEnv, warmUp, warmUpArgv } from './compile-cache.ts';
import { DnsForwarder, upstreamsOf } from './dns-forwarder.ts';
import { ContainerProbes, probesOf, type ContainerProbesOptions } from './container-probes.ts';

/** The repository, and its own executables (istiod, pilot-agent, mizzen-proxy, node). */
const repository = fileURLToPath(new URL('../../../..', import.meta.url)).replace(/\/$/, '');
const binDir = join(repository, 'node_modules/.bin');

export const xdsPort = 15010;
export const istiodHttpPort = 8080;
export const agentStatusPort = 15021;
/** In each agent's folder: the resolvers its DNS proxy forwards to. */
const upstreamResolvConf = 'upstream-resolv.conf';
/** The sidecar's user and group, as Istio's injector sets them. */
const proxyUid = 1337;
/** What a sidecar (pilot-agent, then the proxy it starts) and an init container (iptables-init)
 *  load, warmed into the compile cache before the pods start them all at once. */
const sidecarModules = ['apps/pilot-agent/src/agent.ts', 'apps/pilot-agent/src/cli/command-line.ts', 'apps/proxy/src/proxy-server.ts', 'apps/proxy/src/bootstrap/bootstrap-config.ts'];
const initModules = ['apps/iptables-init/src/cli/command-line.ts', 'apps/iptables-init/src/run.ts'];

export interface UpOptions {
  configDir: string;
  stateRoot: string;
  readyTimeoutMs: number;
  /** The machine's resolvers, which names outside the mesh go to (as the kubelet's
   *  --resolv-conf); /etc/resolv.conf unless told. */
  resolvConf?: string;
  /** Aborting stops the start-up; the caller then tears down. */
  signal: AbortSignal;
  progress: (line: string) => void;
}

export interface RunningMesh {
  record: MeshRecord;
  paths: MeshPaths;
  pods: PodPlan[];
  services: Service[];
  /** The services' virtual IPs, as they are now. */
  serviceAddresses: () => ServiceAddress[];
  /** LoadBalancer service ports reachable on the host's loopback. */
  exposed: ExposedPort[];
  /** Pod name to why its apps are not ready (undefined when they are). */
  notReady: Map<string, string | undefined>;
  /** Stops following the config folder and restarting containers (the processes keep
   *  running until torn down). */
  close: () => void;
}

/** Builds the mesh: network, service range, pods, istiod, apps and sidecars; resolves once
 *  every sidecar is ready. The record is saved before each step acts, so a failure at any
 *  point can be torn down. */
export async function upMesh(options: UpOptions, started: (record: MeshRecord, paths: MeshPaths) => void): Promise<RunningMesh> {
  const configDir = resolve(options.configDir);
  const manifests = await readManifests(configDir);
  for (const error of manifests.errors) options.progress(`warning: left out: ${error}`);
  if (manifests.deployments.length === 0) throw new Error(`${configDir}: no Deployment to run`);

  const id = randomBytes(3).toString('hex');
  const paths = meshPaths(options.stateRoot, id);
  mkdirSync(options.stateRoot, { recursive: true, mode: 0o755 });
  assertReachable(options.stateRoot, proxyUid);
  createMeshDirs(paths);
  const record: MeshRecord = { id, configDir, runner: { pid: process.pid, startTime: processStartTime(process.pid) }, pods: [], processes: [] };
  saveRecord(paths, record);
  started(record, paths);

  if (!othersCanEnter(repository)) {
    record.repositoryView = join(paths.dir, 'repository');
    saveRecord(paths, record);
    await mountRepositoryView(repository, record.repositoryView);
    options.progress(`${repository} is out of the pods' users' reach: they see it read-only at ${record.repositoryView}`);
  }
  const view = (path: string): string => throughView(path, repository, record.repositoryView);

  record.bridge = `mzbr${id}`;
  saveRecord(paths, record);
  const subnet = await createMeshBridge(record.bridge);
  Object.assign(record, { subnet: subnet.cidr, gateway: subnet.gateway });
  saveRecord(paths, record);
  const range = await claimServiceRange();
  record.serviceRange = range.cidr;
  saveRecord(paths, record);
  options.progress(`mesh ${id}: pods on ${subnet.cidr} (bridge ${record.bridge}), services on ${range.cidr}, state in ${paths.dir}`);

  // The pods' hosts files follow the services' addresses as the folder changes.
  let services: ServiceAddress[] = [];
  const writeHosts = (pod: { name: string; namespace: string; ip: string; netns: string }): Promise<void> => writePodDns(pod.netns, { hosts: hostsFile(pod, services) });
  const mirror = await ConfigMirror.open({
    source: configDir,
    target: paths.config,
    range,
    onWarning: (message) => options.progress(`warning: ${message}`),
    onServices: (latest) => {
      services = latest;
      for (const pod of record.pods) writeHosts(pod).catch((error: Error) => options.progress(`warning: pod ${pod.name}: hosts file: ${error.message}`));
    },
  });

  let supervisor: Supervisor | undefined;
  let forwarder: DnsForwarder | undefined;
  try {
    const gateway = subnet.gateway;
    forwarder = await startDnsForwarder(gateway, options.resolvConf ?? '/etc/resolv.conf', join(paths.logs, 'dns-forwarder.log'), options.progress);
    // Istio's DNS capture: the agent answers the mesh's names from istiod's name table.
    const dnsCapture = true;
    // The one injector that kube-inject and istiod's webhook use, with the agent dialling
    // istiod on the bridge.
    const injection: InjectionSettings = { ...defaultInjectionSettings(), discoveryAddress: `${gateway}:${xdsPort}`, interceptionMode: 'REDIRECT', dnsCapture };
    const planOptions = {
      // Every namespace is labelled istio-injection=enabled here; a pod may still refuse
      // (sidecar.istio.io/inject: "false", as the ingress gateway does).
      inject: (pod: Pod) => (injectionDecision(pod, { 'istio-injection': 'enabled' }).inject ? injectPod(pod, injection) : pod),
      entrypoint: (container: Container, pod: Pod) => entrypoint(container, pod, paths, `${gateway}:${xdsPort}`),
      node: { hostIP: gateway, name: hostname() },
    };
    const pods = planPods(manifests.deployments, { ...planOptions, address: (i) => podAddress(subnet, i) });

    type ExitListener = (process: ProcessRecord, code: number | null, signal: string | null, restartInMs: number | undefined) => void;
    const exitListeners: ExitListener[] = [];
    // Each running container's probes, restarted with the container; 'ready' tells of a
    // container whose readiness probe passes.
    const running = new Map<ProcessRecord, ContainerProbes>();
    const readiness = new EventEmitter<{ ready: [ProcessRecord] }>();
    supervisor = new Supervisor({
      save: () => saveRecord(paths, record),
      onExit: (...args) => {
        running.get(args[0])?.stop();
        running.delete(args[0]);
        if (args[0].ready !== undefined) args[0].ready = false;
        exitListeners.forEach((listener) => listener(...args));
      },
    });
    /** Starts the container's probes as the kubelet does; a liveness or startup probe that
     *  gives up stops the container, which its supervisor then restarts. */
    const probeContainer = (processRecord: ProcessRecord, probes: ContainerProbesOptions['probes']): void => {
      running.get(processRecord)?.stop();
      if (Object.keys(probes).length === 0) return;
      processRecord.ready = false;
      running.set(
        processRecord,
        new ContainerProbes({
          probes,
          onReadiness: (ready, detail) => {
            Object.assign(processRecord, { ready, probe: detail });
            saveRecord(paths, record);
            if (ready) readiness.emit('ready', processRecord);
          },
          onFailure: (kind, detail) => {
            processRecord.probe = `${kind} probe failed: ${detail}`;
            options.progress(`${describeProcess(processRecord)}: ${kind} probe failed (${detail}); restarting it`);
            stopGroup(processRecord.pid);
          },
        }),
      );
    };
    // Pod containers restart as the kubelet restarts them, and istiod as the kubelet would restart
    // its pod: the sidecars serve on their last config meanwhile and reconnect on their own.
    const start = (entry: Omit<ProcessRecord, 'pid' | 'startTime'>, argv: string[], env: NodeJS.ProcessEnv, netns?: string, probes: ContainerProbesOptions['probes'] = {}): ProcessRecord => {
      const processRecord: ProcessRecord = { ...entry, pid: 0, startTime: null };
      record.processes.push(processRecord);
      const spawn = (): ChildProcess => {
        const child = startProcess({ netns, argv: argv.map(view), env: { ...env, PATH: `${view(binDir)}:${process.env.PATH ?? ''}` }, cwd: view(workDir(configDir)), logFile: entry.log });
        probeContainer(processRecord, probes);
        return child;
      };
      supervisor!.start(processRecord, spawn, true);
      return processRecord;
    };

    const cacheEnv = (uid: number | undefined): NodeJS.ProcessEnv => compileCacheEnv(options.stateRoot, uid ?? 0);
    options.progress(`starting istiod on ${gateway}:${xdsPort}`);
    start({ role: 'istiod', log: join(paths.logs, 'istiod.log') }, [join(binDir, 'istiod'), '--config-dir', paths.config, '--config-dir', paths.pods, '--xds-address', `${gateway}:${xdsPort}`, '--http-address', `${gateway}:${istiodHttpPort}`], { ...baseEnv(), ...cacheEnv(0) });
    // While istiod starts: fill the compile caches the pods' processes will read.
    const node = view(join(binDir, 'node'));
    // A cache an earlier mesh filled needs no warming (a module changed since is compiled by
    // the first process that loads it).
    const warmed = async (uid: number, modules: string[]): Promise<void> => {
      const env = { ...baseEnv(), ...cacheEnv(uid) };
      if (!isEmptyDir(env.NODE_COMPILE_CACHE!)) return;
      const failure = await warmUp(asUser(uid === 0 ? undefined : { uid, gid: uid }, warmUpArgv(node, modules.map((m) => view(join(repository, m))))), env);
      if (failure) options.progress(`warning: warming the compile cache of uid ${uid}: ${failure}`);
    };
    const initsWarm = warmed(0, initModules);
    const sidecarsWarm = warmed(proxyUid, sidecarModules);

    // Each pod: its sandbox, its names, its capture rules (the init containers), then its
    // containers.
    const startPod = async (pod: PodPlan): Promise<void> => {
      options.signal.throwIfAborted();
      const netns = `mz-${id}-${pod.name}`;
      const podRecord: PodRecord = { name: pod.name, namespace: pod.namespace, netns, ip: pod.ip, deployment: pod.deployment, templateHash: pod.labels['pod-template-hash'] };
      record.pods.push(podRecord);
      saveRecord(paths, record);
      await createPodSandbox({ netns, bridge: record.bridge!, address: `${pod.ip}/${subnet.prefixLength}`, gateway, serviceRange: range.cidr });
      await writePodDns(netns, { hosts: hostsFile(podRecord, services), resolvConf: resolvConf(pod.namespace, dnsCapture ? nameserverAddress(range) : undefined) });
      const agentDir = join(paths.agents, `${pod.namespace}.${pod.name}`);
      mkdirSync(agentDir, { recursive: true });
      // The agent's DNS proxy forwards names outside the mesh to the resolvers this names:
      // the runner's forwarder on the bridge, as a pod has no route off the machine.
      writeFileSync(join(agentDir, upstreamResolvConf), resolvConf(pod.namespace, forwarder ? gateway : undefined));
      chownSync(agentDir, proxyUid, proxyUid);
      await initsWarm;
      for (const init of pod.initContainers) {
        options.signal.throwIfAborted();
        await runInitContainer(netns, pod.name, { ...init, argv: [...init.argv] }, { ...baseEnv(), ...cacheEnv(init.user?.uid), PATH: `${binDir}:${process.env.PATH ?? ''}` }, join(paths.logs, `${pod.name}.${init.name}.log`));
      }
      writeFileSync(join(paths.pods, `${pod.namespace}.${pod.name}.yaml`), stringify(pod.pod));
      await sidecarsWarm;
      options.signal.throwIfAborted();
      for (const container of pod.containers) {
        const role = container.name === PROXY_CONTAINER_NAME ? 'agent' : 'app';
        // The sidecar's own readiness is the agent's, which the mesh waits for below.
        const probes = role === 'app' ? appProbes(pod, container, netns, options.progress) : {};
        start({ role, pod: pod.name, container: container.name, log: join(paths.logs, `${pod.name}.${container.name}.log`) }, asUser(container.user, container.argv), { ...baseEnv(), ...cacheEnv(container.user?.uid), ...container.env }, netns, probes);
      }
    };
    // Pods are independent, so they start side by side.
    await Promise.all(pods.map(startPod));

    options.progress(`waiting for ${pods.length} pods to be ready`);
    // istiod or a sidecar that exits fails the start-up; an app that exits only its own pod,
    // which then runs on, not ready, restarting its app with backoff (as on Kubernetes).
    const fatalExit = new Promise<never>((_, reject) => {
      exitListeners.push((p, code, signal) => {
        if (p.role !== 'app') reject(new Error(`${describeProcess(p)} exited (${signal ?? `code ${code}`}) before the mesh was ready\n${logTail(p.log)}`));
      });
    });
    fatalExit.catch(() => undefined);
    const probes = pods.map((pod) => ({ name: pod.name, url: `http://${pod.ip}:${agentStatusPort}/healthz/ready` }));
    // Whichever comes first, the probing stops with it.
    const probing = new AbortController();
    const signal = AbortSignal.any([options.signal, probing.signal]);
    let appsReady: Map<string, string | undefined>;
    try {
      const appsListening = Promise.all(pods.map(async (pod) => [pod.name, await appReadiness(pod, `mz-${id}-${pod.name}`, signal)] as const));
      const agentsReady = waitUntilReady(probes, { timeoutMs: options.readyTimeoutMs, signal, onReady: (name) => options.progress(`pod ${name}: sidecar ready (config from istiod)`) });
      const [, apps] = await Promise.race([Promise.all([agentsReady, appsListening]), fatalExit, abortion(options.signal)]);
      appsReady = new Map(apps);
    } finally {
      probing.abort();
    }
    exitListeners.length = 0;
    let closed = false;
    exitListeners.push((p, code, signal, restartIn) => closed || options.progress(`${describeProcess(p)} exited (${signal ?? `code ${code}`})${restartIn === undefined ? '' : `; restarting in ${restartIn / 1000}s`}; its log: ${p.log}`));

    /** Resolves once the pod's app containers listen on their ports (undefined), or with why
     *  not when one of them exits first. */
    function appReadiness(pod: PodPlan, netns: string, outer: AbortSignal): Promise<string | undefined> {
      const local = new AbortController();
      const why = (p: ProcessRecord, code: number | null, exitSignal: string | null): string => `container ${p.container} exited (${exitSignal ?? `code ${code}`}); its log: ${p.log}\n${logTail(p.log, 5)}`;
      const exited = new Promise<string>((resolve) => {
        // It may have exited already, while other pods were still being set up.
        const gone = record.processes.find((p) => p.pod === pod.name && p.role === 'app' && p.lastExit);
        if (gone?.lastExit) resolve(why(gone, gone.lastExit.code, gone.lastExit.signal));
        exitListeners.push((p, code, exitSignal) => {
          if (p.pod === pod.name && p.role === 'app') resolve(why(p, code, exitSignal));
        });
      });
      // A container with a readiness probe is ready when it passes; the others when their
      // ports accept connections.
      const probed = record.processes.filter((p) => p.pod === pod.name && p.role === 'app' && p.ready !== undefined);
      const unprobed = containerPorts(pod, new Set(probed.map((p) => p.container!)));
      const listening = waitForContainerPorts(netns, pod.name, unprobed, { timeoutMs: options.readyTimeoutMs, signal: AbortSignal.any([outer, local.signal]) });
      const passing = Promise.all(probed.map((p) => (p.ready ? undefined : waitForReady(p, AbortSignal.any([outer, local.signal])))));
      return Promise.race([Promise.all([listening, passing]).then(() => undefined), exited]).finally(() => local.abort());
    }

    /** Resolves when the container's readiness probe passes; rejects at the deadline with its
     *  last result. */
    function waitForReady(p: ProcessRecord, signal: AbortSignal): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`pod ${p.pod}: container ${p.container} not ready after ${options.readyTimeoutMs / 1000}s: ${p.probe ?? 'no probe result yet'}`)), options.readyTimeoutMs);
        const onReady = (ready: ProcessRecord): void => {
          if (ready === p) done();
        };
        const onAbort = (): void => done(new Error('stopped before the mesh was ready'));
        function done(error?: Error): void {
          clearTimeout(timer);
          readiness.off('ready', onReady);
          signal.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else resolve();
        }
        readiness.on('ready', onReady);
        signal.addEventListener('abort', onAbort);
      });
    }

    // LoadBalancer Services (the ingress gateway) on the host's loopback.
    const exposures = await Promise.all(loadBalancerPlans(manifests.services, pods).map(exposeOnLoopback));

    /** Stops a pod for good and removes it: out of istiod's view first, so that no proxy
     *  sends it more requests while its sidecar drains. */
    const removePod = async (pod: PodRecord): Promise<void> => {
      options.progress(`pod ${pod.name}: removing`);
      rmSync(join(paths.pods, `${pod.namespace}.${pod.name}.yaml`), { force: true });
      const processes = record.processes.filter((p) => p.pod === pod.name);
      for (const p of processes) supervisor!.retire(p);
      if (!(await stopGroups(processes, 10_000))) options.progress(`warning: pod ${pod.name}: some processes outlived SIGKILL`);
      await deletePodSandbox(pod.netns);
      record.pods = record.pods.filter((p) => p !== pod);
      record.processes = record.processes.filter((p) => p.pod !== pod.name);
      saveRecord(paths, record);
    };
    // From here on the folder's Deployments are followed as Kubernetes follows them: after each
    // pass of the mirror, pods are started or removed to match (see deployment-sync.ts).
    let reported = '';
    const followDeployments = async (): Promise<void> => {
      if (closed) return;
      const latest = await readManifests(configDir);
      const errors = latest.errors.join('\n');
      if (errors !== reported) latest.errors.forEach((error) => options.progress(`warning: left out: ${error}`));
      reported = errors;
      const plan = planRollout(
        record.pods.map((p) => ({ name: p.name, namespace: p.namespace, deployment: p.deployment ?? '', hash: p.templateHash ?? '' })),
        latest.deployments,
      );
      const taken = new Set(record.pods.map((p) => p.ip));
      const nextFree = (): string => {
        for (let i = 0; ; i++) {
          const address = podAddress(subnet, i);
          if (!taken.has(address)) return taken.add(address) && address;
        }
      };
      const created = planPods(
        plan.create.map(({ deployment, count }) => ({ ...deployment, spec: { ...deployment.spec, replicas: count } })),
        { ...planOptions, address: () => nextFree() },
      );
      // New pods first, then the old ones go, as a rolling update with surge.
      await Promise.all(
        created.map(async (pod) => {
          options.progress(`pod ${pod.name}: starting (Deployment ${pod.namespace}/${pod.deployment})`);
          await startPod(pod).catch((error: Error) => options.progress(`warning: pod ${pod.name}: ${error.message}`));
        }),
      );
      for (const name of plan.remove) {
        const pod = record.pods.find((p) => p.name === name);
        if (pod && !closed) await removePod(pod);
      }
    };
    let following = Promise.resolve();
    const follow = (): void => {
      following = following.then(followDeployments).catch((error: Error) => options.progress(`warning: following the Deployments of ${configDir}: ${error.message}`));
    };
    mirror.on('synced', follow);
    // What changed while the mesh started.
    follow();

    const close = (): void => {
      closed = true;
      mirror.off('synced', follow);
      supervisor?.stop();
      for (const probes of running.values()) probes.stop();
      mirror.close();
      void forwarder?.close();
      for (const { server } of exposures) server.close();
    };
    return { record, paths, pods, notReady: appsReady, services: manifests.services, exposed: exposures.map((e) => e.exposed), serviceAddresses: () => services, close };
  } catch (error) {
    supervisor?.stop();
    mirror.close();
    await forwarder?.close();
    throw error;
  }
}

/** What the sidecar's containers run, as the proxy image's entrypoint would: the init
 *  container's `istio-iptables ARGS` is iptables-init, istio-proxy's `proxy sidecar ...` is
 *  pilot-agent, told where to keep its bootstrap and, as many pods share one machine, to run
 *  one worker and drain quickly. */
function entrypoint(container: Container, pod: Pod, paths: MeshPaths, discoveryAddress: string): string[] | undefined {
  const args = container.args ?? [];
  if (container.name === INIT_CONTAINER_NAME) return [join(binDir, 'iptables-init'), ...(args[0] === 'istio-iptables' ? args.slice(1) : args)];
  if (container.name === PROXY_CONTAINER_NAME) {
    const configPath = join(paths.agents, `${pod.metadata.namespace ?? 'default'}.${pod.metadata.name}`);
    // A gateway's manifest cannot know where istiod listens here; a sidecar's does (the
    // injector wrote it), and the flag says the same.
    return [join(binDir, 'pilot-agent'), ...args, '--discovery-address', discoveryAddress, '--config-path', configPath, '--resolv-conf', join(configPath, upstreamResolvConf), '--concurrency', '1', '--drain-duration', '2s'];
  }
  return undefined;
}

/** The forwarder for names outside the mesh, on the bridge address, to the machine's
 *  resolvers; without it (no resolvers, or the port taken) such names fail in the pods, and
 *  the mesh runs on. Questions nobody answered go to its log. */
async function startDnsForwarder(address: string, resolvConfFile: string, log: string, progress: (line: string) => void): Promise<DnsForwarder | undefined> {
  try {
    const upstreams = upstreamsOf(readFileSync(resolvConfFile, 'utf8'));
    const forwarder = await DnsForwarder.listen({ address, upstreams, onError: (message) => void appendFile(log, `${new Date().toISOString()} ${message}\n`).catch(() => undefined) });
    progress(`names outside the mesh: through ${address}:53 to ${upstreams.map((u) => u.host).join(', ')} (from ${resolvConfFile})`);
    return forwarder;
  } catch (error) {
    progress(`warning: names outside the mesh will not resolve in the pods: ${resolvConfFile}: ${(error as Error).message}`);
    return undefined;
  }
}

/** The sidecar runs as its own user and must reach its folder: a state folder only root may
 *  enter (as mkdtemp makes them) is refused before anything is created. */
function assertReachable(dir: string, uid: number): void {
  for (let current = dir; ; current = dirname(current)) {
    const info = statSync(current);
    const enters = info.uid === uid ? (info.mode & 0o100) !== 0 : (info.mode & 0o001) !== 0;
    if (!enters) {
      throw new Error(`${current}: the sidecars' user (uid ${uid}) cannot enter it (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}); use a --state-dir it can reach, or chmod o+x ${current}`);
    }
    if (current === parse(current).root) return;
  }
}

/** Stops every recorded process and removes every namespace, link, route and file the mesh
 *  made. Each step tolerates what is already gone, so it also cleans up after a killed runner. */
export async function tearDown(record: MeshRecord, paths: MeshPaths, graceMs = 10_000): Promise<string[]> {
  const problems: string[] = [];
  if (!(await stopGroups(record.processes, graceMs))) problems.push('some processes outlived SIGKILL');
  for (const pod of record.pods) {
    await deletePodSandbox(pod.netns).catch((error: Error) => problems.push(`pod ${pod.name}: ${error.message}`));
  }
  if (record.bridge) await deleteLink(record.bridge).catch((error: Error) => problems.push(`bridge ${record.bridge}: ${error.message}`));
  if (record.serviceRange) await releaseServiceRange(record.serviceRange).catch((error: Error) => problems.push(`service range ${record.serviceRange}: ${error.message}`));
  if (record.repositoryView) await unmountRepositoryView(record.repositoryView).catch((error: Error) => problems.push(`repository view ${record.repositoryView}: ${error.message}`));
  if (problems.length === 0) removeMeshDir(paths);
  return problems;
}

export function runnerAlive(record: MeshRecord): boolean {
  return record.runner.pid !== process.pid && isRunning(record.runner);
}

/** The TCP ports the pod's app containers declare, but those of the containers named. */
function containerPorts(pod: PodPlan, except: ReadonlySet<string> = new Set()): number[] {
  return pod.pod.spec.containers
    .filter((c) => c.name !== PROXY_CONTAINER_NAME && !except.has(c.name))
    .flatMap((c) => (c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => p.containerPort));
}

/** An app container's probes from the injected pod spec; one that cannot run here is left
 *  out with a warning naming it (the container then counts as ready while it runs). */
function appProbes(pod: PodPlan, container: PodPlan['containers'][number], netns: string, progress: (line: string) => void): ContainerProbesOptions['probes'] {
  const index = pod.pod.spec.containers.findIndex((c) => c.name === container.name);
  const spec = pod.pod.spec.containers[index];
  try {
    return probesOf(spec as unknown as Record<string, unknown>, { podIP: pod.ip, netns, user: container.user, ports: spec.ports ?? [] }, `pod ${pod.name}: spec.containers[${index}]`);
  } catch (error) {
    progress(`warning: ${(error as Error).message}; the container runs without its probes`);
    return {};
  }
}

function isEmptyDir(dir: string): boolean {
  return readdirSync(dir).length === 0;
}

/** Stops a container's process group (the kubelet's kill before a restart). */
function stopGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** A container sees a small, clean environment, as in a real pod. */
function baseEnv(): NodeJS.ProcessEnv {
  return { HOME: '/', LANG: process.env.LANG ?? 'C.UTF-8' };
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
