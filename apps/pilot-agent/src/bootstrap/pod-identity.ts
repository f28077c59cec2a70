import { hostname, networkInterfaces } from 'node:os';

/** Who this proxy is, read from the pod's environment (the variables Istio's injector sets). */
export interface PodIdentity {
  podName: string;
  namespace: string;
  /** The pod's addresses, first one primary (it goes into the node id). */
  instanceIps: string[];
  serviceAccount: string;
  /** The pod's labels (ISTIO_METAJSON_LABELS). */
  labels: Record<string, string>;
  /** ISTIO_META_FOO=bar becomes { FOO: 'bar' }. */
  meta: Record<string, string>;
  /** ISTIO_METAJSON_FOO='{"a":1}' becomes { FOO: { a: 1 } }. */
  metaJson: Record<string, unknown>;
}

export class EnvironmentError extends Error {}

const META = 'ISTIO_META_';
const META_JSON = 'ISTIO_METAJSON_';

/** Reads the identity from environment variables; defaults fill in what a bare process lacks. */
export function readPodIdentity(env: NodeJS.ProcessEnv, localIps: () => string[] = nonLoopbackIps): PodIdentity {
  const meta: Record<string, string> = {};
  const metaJson: Record<string, unknown> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name] ?? '';
    if (name.startsWith(META_JSON)) {
      metaJson[name.slice(META_JSON.length)] = parseJsonVariable(name, value);
    } else if (name.startsWith(META)) {
      meta[name.slice(META.length)] = value;
    }
  }
  const fromEnv = (env.INSTANCE_IP ?? '').split(',').map((ip) => ip.trim()).filter(Boolean);
  const instanceIps = fromEnv.length > 0 ? fromEnv : localIps();
  return {
    podName: env.POD_NAME || hostname(),
    namespace: env.POD_NAMESPACE || 'default',
    instanceIps: instanceIps.length > 0 ? instanceIps : ['127.0.0.1'],
    serviceAccount: env.SERVICE_ACCOUNT || 'default',
    labels: readLabels(metaJson.LABELS),
    meta,
    metaJson,
  };
}

function parseJsonVariable(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new EnvironmentError(`environment variable ${name}: not valid JSON (${(error as Error).message})`);
  }
}

function readLabels(labels: unknown): Record<string, string> {
  if (labels === undefined) return {};
  const isStringMap =
    typeof labels === 'object' && labels !== null && !Array.isArray(labels) && Object.values(labels).every((v) => typeof v === 'string');
  if (!isStringMap) throw new EnvironmentError('environment variable ISTIO_METAJSON_LABELS: must be a JSON object of string values');
  return labels as Record<string, string>;
}

function nonLoopbackIps(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal)
    .map((a) => a!.address);
}
