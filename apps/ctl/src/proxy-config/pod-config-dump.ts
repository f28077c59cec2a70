import { readFile } from 'node:fs/promises';
import { execInNetns } from '@mizzen/net';
import { listMeshIds, loadRecord, meshPaths, type PodRecord } from '../local/mesh-state.ts';

/** A dump saved to a file (--file): its JSON, or an error naming the file. */
export async function readDumpFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read (${(error as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${path}: not JSON (${(error as Error).message})`);
  }
}

/** POD[.NAMESPACE] (else the namespace given, default) to the pod of a recorded local mesh:
 *  by exact name, else by a prefix that picks one pod alone. */
export function findLocalPod(pods: PodRecord[], reference: string, defaultNamespace = 'default'): PodRecord {
  const dot = reference.indexOf('.');
  const name = dot < 0 ? reference : reference.slice(0, dot);
  const namespace = dot < 0 ? defaultNamespace : reference.slice(dot + 1);
  const inNamespace = pods.filter((pod) => pod.namespace === namespace);
  const exact = inNamespace.find((pod) => pod.name === name);
  if (exact) return exact;
  const prefixed = inNamespace.filter((pod) => pod.name.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) throw new Error(`pod ${reference}: ambiguous, matches ${prefixed.map((p) => p.name).join(', ')}`);
  throw new Error(`pod ${name} in namespace ${namespace}: not in any running local mesh (see mizzenctl local status)`);
}

/** The pods of every mesh recorded under a state root. */
export function recordedPods(stateRoot: string): PodRecord[] {
  return listMeshIds(stateRoot).flatMap((id) => loadRecord(meshPaths(stateRoot, id)).pods);
}

/** Runs a command in a network namespace (execInNetns; tests give their own). */
export type NetnsExec = (netns: string, command: string, args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;

/** Sends a request to the proxy's admin API inside the pod's network namespace; its answer as text. */
export async function requestProxyAdmin(pod: PodRecord, path: string, method = 'GET', exec: NetnsExec = execInNetns): Promise<string> {
  const url = `http://127.0.0.1:15000${path}`;
  const result = await exec(pod.netns, 'curl', ['-sS', '--fail-with-body', '--max-time', '10', '-X', method, url]).catch((error: unknown) => {
    throw new Error(`pod ${pod.name}.${pod.namespace}: cannot enter its network namespace ${pod.netns} (${(error as Error).message})`);
  });
  if (result.code !== 0) throw new Error(`pod ${pod.name}.${pod.namespace}: its proxy does not answer ${url} (${result.stdout.trim() || result.stderr.trim() || `curl exit ${result.code}`})`);
  return result.stdout;
}

/** Fetches a path of the proxy's admin API inside the pod's network namespace, as JSON. */
export async function fetchProxyAdmin(pod: PodRecord, path: string, exec: NetnsExec = execInNetns): Promise<unknown> {
  const url = `http://127.0.0.1:15000${path}`;
  const text = await requestProxyAdmin(pod, path, 'GET', exec);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`pod ${pod.name}.${pod.namespace}: ${url} did not return JSON (${(error as Error).message})`);
  }
}
