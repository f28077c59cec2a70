import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { serviceAccountDir, withServiceEnv } from '@mizzen/config';

/** The flags every command that reads a pod or istiod takes, as istioctl spells them. */
export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  local?: boolean;
  istioNamespace: string;
}

/** Where the process runs: its environment and home folder (tests give their own). */
export interface Surroundings {
  env: Record<string, string | undefined>;
  home: string;
  /** Prefix of the service account folder, for tests of the in-cluster config. */
  root?: string;
}

export const processSurroundings = (): Surroundings => ({ env: process.env, home: homedir() });

/** A cluster to talk to: its connection, and the context named in messages. */
export interface Cluster {
  config: KubeConfig;
  context: string;
  /** The context's namespace (else `default`): where a pod named without one is looked for. */
  namespace: string;
  istioNamespace: string;
}

/**
 * Which mesh a command reads. The least surprising rule for both kinds of users:
 * `--local` always means the local mesh; a kubeconfig the user named (`--kubeconfig`,
 * `--context`, `KUBECONFIG`) always means that cluster, as for kubectl and istioctl; with
 * neither, a local mesh that runs on this machine wins over the default `~/.kube/config` (it
 * was started here, on purpose, and `local status` shows it), and without one the default
 * kubeconfig or the in-cluster service account is used when there is one.
 * Undefined means the local mesh.
 */
export function chooseCluster(flags: ClusterFlags, localMeshRunning: () => boolean, where: Surroundings = processSurroundings()): Cluster | undefined {
  const named = flags.kubeconfig !== undefined || flags.context !== undefined || Boolean(where.env.KUBECONFIG);
  if (flags.local) {
    if (flags.kubeconfig !== undefined || flags.context !== undefined) throw new Error('--local reads the local mesh: it cannot go with --kubeconfig or --context');
    return undefined;
  }
  if (!named && localMeshRunning()) return undefined;
  const config = loadKubeConfig(flags, where);
  if (!config) return undefined;
  const context = config.getCurrentContext();
  return { config, context, namespace: config.getContextObject(context)?.namespace || 'default', istioNamespace: flags.istioNamespace };
}

/** The kubeconfig as kubectl finds it: the flag, else every file of KUBECONFIG merged (the
 *  first one's current context), else ~/.kube/config, else the pod's service account; then
 *  `--context`. Undefined when none exists and none was named. */
export function loadKubeConfig(flags: Pick<ClusterFlags, 'kubeconfig' | 'context'>, where: Surroundings): KubeConfig | undefined {
  const config = new KubeConfig();
  const files = kubeconfigFiles(flags.kubeconfig, where);
  if (files.length > 0) {
    files.forEach((file, i) => {
      const one = i === 0 ? config : new KubeConfig();
      try {
        one.loadFromFile(file);
      } catch (error) {
        throw new Error(`kubeconfig ${file}: ${(error as Error).message}`);
      }
      if (i > 0) config.mergeConfig(one, true);
    });
  } else if (where.env.KUBERNETES_SERVICE_HOST && where.env.KUBERNETES_SERVICE_PORT && existsSync(join(where.root ?? '', serviceAccountDir, 'token'))) {
    withServiceEnv(where.env, () => config.loadFromCluster(where.root));
  } else if (flags.context !== undefined) {
    throw new Error(`--context ${flags.context}: no kubeconfig found (give --kubeconfig FILE or set KUBECONFIG)`);
  } else {
    return undefined;
  }
  if (flags.context !== undefined) {
    const names = config.getContexts().map((context) => context.name);
    if (!names.includes(flags.context)) throw new Error(`--context ${flags.context}: not in the kubeconfig (it has ${names.join(', ') || 'no contexts'})`);
    config.setCurrentContext(flags.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig: the context ${JSON.stringify(config.getCurrentContext())} names no cluster`);
  if (!cluster.server) throw new Error(`kubeconfig: cluster ${JSON.stringify(cluster.name)} has no server`);
  return config;
}

function kubeconfigFiles(flag: string | undefined, where: Surroundings): string[] {
  if (flag !== undefined) {
    if (!existsSync(flag)) throw new Error(`kubeconfig ${flag}: does not exist`);
    return [flag];
  }
  if (where.env.KUBECONFIG) {
    const listed = where.env.KUBECONFIG.split(delimiter).filter((file) => file !== '');
    const present = listed.filter((file) => existsSync(file));
    if (present.length === 0) throw new Error(`KUBECONFIG names no file that exists (${listed.join(', ')})`);
    return present;
  }
  const home = join(where.home, '.kube', 'config');
  return existsSync(home) ? [home] : [];
}
