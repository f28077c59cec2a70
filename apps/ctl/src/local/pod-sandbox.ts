import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createPodNetwork, deletePodNetwork, execInNetns, spawnInNetns } from '@mizzen/net';
import type { PlannedContainer } from './pod-plan.ts';
import { removePodDns } from './pod-dns.ts';

// A pod's sandbox, as the kubelet and its network plugin make it: a network namespace with the
// pod's address on a veth to the mesh's bridge, and a route for the service range, so that a
// connection to a service's virtual IP has somewhere to go. It never gets there: the capture
// rules hand it to the sidecar first. What the rules let through (the sidecar's own traffic)
// meets the host's unreachable route for the range.

export interface SandboxOptions {
  netns: string;
  bridge: string;
  /** The pod's address in CIDR form, e.g. '10.244.7.5/24'. */
  address: string;
  gateway: string;
  serviceRange: string;
}

export async function createPodSandbox(options: SandboxOptions): Promise<void> {
  await createPodNetwork({ netns: options.netns, bridge: options.bridge, address: options.address });
  const route = await execInNetns(options.netns, 'ip', ['route', 'add', options.serviceRange, 'via', options.gateway, 'dev', 'eth0']);
  if (route.code !== 0) throw new Error(`pod network ${options.netns}: ip route add ${options.serviceRange}: ${route.stderr.trim()}`);
}

export async function deletePodSandbox(netns: string): Promise<void> {
  await deletePodNetwork(netns);
  await removePodDns(netns);
}

/** Runs an init container to completion inside the pod, its output appended to the log; a
 *  non-zero exit rejects, naming the container. */
export async function runInitContainer(netns: string, pod: string, container: PlannedContainer, env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const fd = openSync(logFile, 'a');
  try {
    const [command, ...args] = asUser(container.user, container.argv);
    const child = spawnInNetns(netns, command, args, { env: { ...env, ...container.env }, stdio: ['ignore', fd, fd] });
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    if (code !== 0) {
      const output = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
      throw new Error(`pod ${pod}: init container ${container.name} (${container.argv.join(' ')}) exited (${signal ?? `code ${code}`}):\n${output}`);
    }
  } finally {
    closeSync(fd);
  }
}

/** The argv that runs a command as the given user (with no supplementary groups), through
 *  util-linux's setpriv, which execs it: the process keeps the pid the runner recorded. */
export function asUser(user: { uid: number; gid: number } | undefined, argv: string[]): string[] {
  if (user === undefined) return argv;
  return ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', ...argv];
}
