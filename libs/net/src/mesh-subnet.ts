import { ip, NetError } from './ip-command.ts';
import { createBridge, deleteLink } from './link.ts';

/** A /24 for one local mesh, out of 10.244.0.0/16: .1 is the bridge (the host side), pods
 *  take .2 onwards. */
export interface MeshSubnet {
  /** e.g. '10.244.7.0/24' */
  cidr: string;
  /** The bridge's address, e.g. '10.244.7.1' */
  gateway: string;
  prefixLength: 24;
}

const poolPrefix = '10.244';

export function meshSubnet(thirdOctet: number): MeshSubnet {
  if (!Number.isInteger(thirdOctet) || thirdOctet < 0 || thirdOctet > 255) {
    throw new NetError(`mesh subnet: third octet ${thirdOctet} is not in 0-255`);
  }
  return { cidr: `${poolPrefix}.${thirdOctet}.0/24`, gateway: `${poolPrefix}.${thirdOctet}.1`, prefixLength: 24 };
}

/** The address of the pod at `index` (0-based): .2 up to .254. */
export function podAddress(subnet: MeshSubnet, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 252) {
    throw new NetError(`mesh subnet ${subnet.cidr}: pod index ${index} does not fit (253 pods at most)`);
  }
  return subnet.gateway.replace(/\.1$/, `.${index + 2}`);
}

/** Picks a third octet not in `used`, at random so that parallel runs rarely race for one. */
export function pickFreeOctet(used: ReadonlySet<number>, random: () => number = Math.random): number {
  const free = [];
  for (let octet = 1; octet < 255; octet++) if (!used.has(octet)) free.push(octet);
  if (free.length === 0) throw new NetError(`no free /24 left in ${poolPrefix}.0.0/16 on this host`);
  return free[Math.floor(random() * free.length)];
}

/** The third octets of 10.244.X.Y addresses and routes the host already has. */
export async function usedMeshOctets(): Promise<Set<number>> {
  const addrs = JSON.parse(await ip(['-j', '-4', 'addr', 'show'])) as { addr_info?: { local?: string }[] }[];
  const routes = JSON.parse(await ip(['-j', '-4', 'route', 'show', 'table', 'all'])) as { dst?: string }[];
  const seen = [...addrs.flatMap((link) => (link.addr_info ?? []).map((a) => a.local ?? '')), ...routes.map((r) => r.dst ?? '')];
  const used = new Set<number>();
  for (const address of seen) {
    const match = /^10\.244\.(\d+)\./.exec(address);
    if (match) used.add(Number(match[1]));
  }
  return used;
}

/** Chooses a /24 no interface or route of this host uses yet. */
export async function chooseMeshSubnet(): Promise<MeshSubnet> {
  return meshSubnet(pickFreeOctet(await usedMeshOctets()));
}

/** Links of this host holding an address in the subnet. */
async function linksInSubnet(subnet: MeshSubnet): Promise<string[]> {
  const prefix = subnet.gateway.replace(/\.1$/, '.');
  const links = JSON.parse(await ip(['-j', '-4', 'addr', 'show'])) as { ifname: string; addr_info?: { local?: string }[] }[];
  return links.filter((link) => (link.addr_info ?? []).some((a) => a.local?.startsWith(prefix))).map((link) => link.ifname);
}

/** Chooses a free /24 and creates the mesh's bridge on it. Two meshes starting at the same
 *  moment may pick the same one: whoever then sees another link on it steps back and picks
 *  again, so that no two bridges share a subnet. */
export async function createMeshBridge(bridge: string, attempts = 8): Promise<MeshSubnet> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const subnet = await chooseMeshSubnet();
    await createBridge(bridge, `${subnet.gateway}/${subnet.prefixLength}`);
    const holders = await linksInSubnet(subnet);
    if (holders.length === 1 && holders[0] === bridge) return subnet;
    await deleteLink(bridge);
  }
  throw new NetError(`bridge ${bridge}: no free /24 in 10.244.0.0/16 after ${attempts} attempts`);
}
