import { createHash } from 'node:crypto';
import { ip } from './ip-command.ts';
import { assertLinkName, deleteLink, parseCidr } from './link.ts';
import { createNetns, deleteNetns } from './netns.ts';

export interface PodNetworkOptions {
  netns: string;
  bridge: string;
  /** The pod's address in CIDR form, e.g. '10.244.7.5/24'. */
  address: string;
}

/** The host end of a pod's veth pair: derived from the namespace name, since link names are
 *  short (15 bytes) and namespace names are not. */
export function hostVethName(netns: string): string {
  return `mzv${createHash('sha256').update(netns).digest('hex').slice(0, 10)}`;
}

/** Creates a namespace with loopback up and an `eth0` joined to the bridge. No default route:
 *  a pod reaches only its own subnet, which is all a local mesh needs. */
export async function createPodNetwork(options: PodNetworkOptions): Promise<void> {
  const { netns, bridge, address } = options;
  assertLinkName(bridge);
  parseCidr(address);
  const hostEnd = hostVethName(netns);
  const podEnd = `mzp${hostEnd.slice(3)}`;
  await createNetns(netns);
  try {
    await ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    await ip(['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', podEnd]);
    await ip(['link', 'set', podEnd, 'netns', netns]);
    await ip(['-n', netns, 'link', 'set', podEnd, 'name', 'eth0']);
    await ip(['-n', netns, 'addr', 'add', address, 'dev', 'eth0']);
    await ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    await ip(['link', 'set', hostEnd, 'master', bridge]);
    await ip(['link', 'set', hostEnd, 'up']);
  } catch (error) {
    await deletePodNetwork(netns).catch(() => undefined);
    throw error;
  }
}

/** Removes what createPodNetwork made; parts already gone are skipped. */
export async function deletePodNetwork(netns: string): Promise<void> {
  await deleteNetns(netns);
  await deleteLink(hostVethName(netns));
}
