import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** Where the service account's token and CA are mounted in every pod. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigOptions {
  /** A kubeconfig file; its current context is used. Without it, the in-cluster config. */
  kubeconfig?: string;
  /** Environment to read KUBERNETES_SERVICE_HOST and _PORT from (process.env by default). */
  env?: Record<string, string | undefined>;
  /** Prefix of the service account folder, for tests of the in-cluster config. */
  root?: string;
}

/** Loads the connection to the API server from a kubeconfig file, or from the pod's service
 *  account when running inside a cluster. Errors say what is missing. */
export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const config = new KubeConfig();
  if (options.kubeconfig !== undefined) {
    if (!existsSync(options.kubeconfig)) throw new Error(`kubeconfig ${options.kubeconfig}: does not exist`);
    try {
      config.loadFromFile(options.kubeconfig);
    } catch (error) {
      throw new Error(`kubeconfig ${options.kubeconfig}: ${(error as Error).message}`);
    }
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig ${options.kubeconfig}: current context ${JSON.stringify(config.getCurrentContext())} names no cluster`);
    if (!cluster.server) throw new Error(`kubeconfig ${options.kubeconfig}: cluster ${JSON.stringify(cluster.name)} has no server`);
    return config;
  }
  const env = options.env ?? process.env;
  if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) {
    throw new Error('not running in a cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set); give a kubeconfig file');
  }
  const root = options.root ?? '';
  const token = join(root, serviceAccountDir, 'token');
  if (!existsSync(token)) throw new Error(`in-cluster config: the service account token ${token} does not exist`);
  // The client reads the host and port from process.env; a given env wins for the call.
  withServiceEnv(env, () => config.loadFromCluster(root));
  return config;
}

/** Runs `run` with KUBERNETES_SERVICE_HOST and _PORT taken from `env`: the client's in-cluster
 *  loader reads them from process.env alone. */
export function withServiceEnv(env: Record<string, string | undefined>, run: () => void): void {
  const names = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const;
  const saved = names.map((name) => process.env[name]);
  names.forEach((name) => (process.env[name] = env[name]));
  try {
    run();
  } finally {
    names.forEach((name, i) => {
      if (saved[i] === undefined) delete process.env[name];
      else process.env[name] = saved[i];
    });
  }
}
