import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceAddress } from './config-mirror.ts';

// `ip netns exec NS` bind-mounts each file of /etc/netns/NS over the one of the same name in
// /etc, so a process started that way reads the pod's own hosts and resolv.conf, as a
// container reads those the kubelet writes. The hosts file answers the services' names with
// their virtual IPs whether or not the agent's DNS proxy (DNS capture) runs. With DNS capture
// the resolv.conf names a nameserver in the service range, which only the capture answers;
// without, it names none, so that a name the hosts file lacks fails at once (the resolver
// asks the pod's own loopback, where nothing listens) rather than after timeouts.

const clusterDomain = 'cluster.local';

export interface PodIdentity {
  name: string;
  namespace: string;
  ip: string;
}

/** The names a pod resolves for each service: the FQDN, `NAME.NS.svc`, `NAME.NS`, and the bare
 *  name for services of the pod's own namespace (what the resolv.conf search list would give). */
export function hostsFile(pod: PodIdentity, services: ServiceAddress[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${pod.ip}\t${pod.name}`];
  const sorted = [...services].sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
  for (const service of sorted) {
    const names = [`${service.name}.${service.namespace}.svc.${clusterDomain}`, `${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}`];
    if (service.namespace === pod.namespace) names.push(service.name);
    lines.push(`${service.ip}\t${names.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

export function resolvConf(namespace: string, nameserver: string | undefined): string {
  const lines = [`search ${namespace}.svc.${clusterDomain} svc.${clusterDomain} ${clusterDomain}`, ...(nameserver ? [`nameserver ${nameserver}`] : []), 'options ndots:5'];
  return lines.join('\n') + '\n';
}

export function podEtcDir(netns: string): string {
  return join('/etc/netns', netns);
}

/** Writes the pod's files. The hosts file is rewritten in place (same inode) when services
 *  change, so that processes already running, which see it through a bind mount, read the new
 *  names too. */
export async function writePodDns(netns: string, files: { hosts: string; resolvConf?: string }): Promise<void> {
  const dir = podEtcDir(netns);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFile(join(dir, 'hosts'), files.hosts, { mode: 0o644 });
  if (files.resolvConf !== undefined) await writeFile(join(dir, 'resolv.conf'), files.resolvConf, { mode: 0o644 });
}

export async function removePodDns(netns: string): Promise<void> {
  await rm(podEtcDir(netns), { recursive: true, force: true });
}
