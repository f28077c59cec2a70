import { ip } from './ip-command.ts';

/** Linux interface names hold at most 15 bytes. */
const maxLinkName = 15;

export function assertLinkName(name: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.length > maxLinkName) {
    throw new Error(`link name "${name}": must be 1-${maxLinkName} letters, digits, '_', '.' or '-'`);
  }
}

/** Creates a Linux bridge with an address (CIDR form, e.g. '10.244.7.1/24') and brings it up. */
export async function createBridge(name: string, address: string): Promise<void> {
  assertLinkName(name);
  parseCidr(address);
  await ip(['link', 'add', name, 'type', 'bridge']);
  try {
    await ip(['addr', 'add', address, 'dev', name]);
    await ip(['link', 'set', name, 'up']);
  } catch (error) {
    await deleteLink(name);
    throw error;
  }
}

/** Deletes a link (bridge or veth); a link that is already gone is not an error. */
export async function deleteLink(name: string): Promise<void> {
  if (!(await linkExists(name))) return;
  try {
    await ip(['link', 'delete', name]);
  } catch (error) {
    // A veth goes away by itself once its namespace is freed, which may happen meanwhile.
    if (!/Cannot find device/.test((error as Error).message)) throw error;
  }
}

export async function linkExists(name: string): Promise<boolean> {
  const links = JSON.parse(await ip(['-j', 'link', 'show'])) as { ifname: string }[];
  return links.some((link) => link.ifname === name);
}

/** Splits 'A.B.C.D/N' and checks it; the error names the bad value. */
export function parseCidr(cidr: string): { address: string; prefixLength: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const prefixLength = match ? Number(match[5]) : -1;
  if (!match || octets.some((o) => o > 255) || prefixLength > 32) {
    throw new Error(`address "${cidr}": not an IPv4 address with a prefix length (like 10.244.0.5/24)`);
  }
  return { address: octets.join('.'), prefixLength };
}
