import { spawn } from 'node:child_process';

// Kubernetes' API server gives every Service a virtual IP (its clusterIP) from a service range.
// On one machine the runner plays that part: each mesh takes a /24 of 10.245.0.0/16 (beside the
// pods' 10.244.0.0/16) and hands out addresses from it. Not Kubernetes' usual 10.96.0.0/12: a
// host that is itself a Kubernetes node reaches its own services there through kube-proxy's
// rules, which a route lookup does not show, and this range is black-holed on the host.

const poolPrefix = '10.245';

/** A mesh's service range, e.g. 10.245.7.0/24. */
export interface ServiceRange {
  cidr: string;
  /** The first three octets, e.g. '10.245.7'. */
  prefix: string;
}

/** The address a pod's resolv.conf names, as Kubernetes' kube-dns takes .10 of its range: DNS
 *  capture sends it to the agent, and nothing else answers there. */
export function nameserverAddress(range: ServiceRange): string {
  return `${range.prefix}.10`;
}

export function serviceRange(thirdOctet: number): ServiceRange {
  if (!Number.isInteger(thirdOctet) || thirdOctet < 0 || thirdOctet > 255) throw new Error(`service range: third octet ${thirdOctet} is not in 0-255`);
  return { cidr: `${poolPrefix}.${thirdOctet}.0/24`, prefix: `${poolPrefix}.${thirdOctet}` };
}

export function inRange(range: ServiceRange, address: string): boolean {
  const match = /^(\d+\.\d+\.\d+)\.(\d+)$/.exec(address);
  return match !== null && match[1] === range.prefix && Number(match[2]) >= 1 && Number(match[2]) <= 254;
}

export interface ServiceKey {
  namespace: string;
  name: string;
  /** The address the manifest asks for, if any (`spec.clusterIP`). */
  requested?: string;
}

export interface Allocation {
  /** `namespace/name` to its virtual IP. */
  addresses: Map<string, string>;
  /** Requests that could not be honoured, as a user should read them. */
  warnings: string[];
}

export const serviceKey = (s: { namespace: string; name: string }): string => `${s.namespace}/${s.name}`;

/** Gives every service an address in the range: the one it had before, else the one it asks
 *  for when the range holds it and it is free, else one derived from its name (so the same service gets the
 *  same address run after run), moving on to the next free one on a collision. Services are
 *  placed in name order, so the result depends only on the set of names and on `previous`. */
export function allocateServiceIps(services: ServiceKey[], range: ServiceRange, previous: ReadonlyMap<string, string> = new Map()): Allocation {
  const taken = new Set<number>([10]);
  const addresses = new Map<string, string>();
  const warnings: string[] = [];
  const sorted = [...services].sort((a, b) => (serviceKey(a) < serviceKey(b) ? -1 : serviceKey(a) > serviceKey(b) ? 1 : 0));
  const claim = (key: string, address: string): boolean => {
    const host = Number(address.split('.')[3]);
    if (!inRange(range, address) || taken.has(host)) return false;
    taken.add(host);
    addresses.set(key, address);
    return true;
  };
  // As the API server refuses an address already in use, what a service already holds stays
  // with it; then requested addresses; then the rest.
  const placed = new Set<string>();
  for (const service of sorted) {
    const before = previous.get(serviceKey(service));
    if (before !== undefined && (service.requested === undefined || service.requested === before) && claim(serviceKey(service), before)) placed.add(serviceKey(service));
  }
  for (const service of sorted) {
    if (placed.has(serviceKey(service)) || service.requested === undefined) continue;
    if (claim(serviceKey(service), service.requested)) placed.add(serviceKey(service));
    else warnings.push(`Service ${serviceKey(service)}: spec.clusterIP ${service.requested} is not free in the service range ${range.cidr}; given another`);
  }
  const fresh = sorted.filter((service) => !placed.has(serviceKey(service)));
  for (const service of fresh) {
    const key = serviceKey(service);
    const start = fnv1a32(key) % 254;
    let placed = false;
    for (let i = 0; i < 254 && !placed; i++) placed = claim(key, `${range.prefix}.${((start + i) % 254) + 1}`);
    if (!placed) warnings.push(`Service ${key}: no address left in the service range ${range.cidr} (253 services at most)`);
  }
  return { addresses, warnings };
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Takes a free /24 for the mesh's services and black-holes it on the host: nothing for a
 *  service address leaves the machine, and a packet no pod captured fails at once (ICMP
 *  unreachable) instead of waiting. The route is also the lock: adding it fails if another mesh
 *  took the same /24 a moment ago, and then another is tried. */
export async function claimServiceRange(attempts = 8): Promise<ServiceRange> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const used = await usedOctets();
    const free = [];
    for (let octet = 1; octet < 255; octet++) if (!used.has(octet)) free.push(octet);
    if (free.length === 0) break;
    const range = serviceRange(free[Math.floor(Math.random() * free.length)]);
    const result = await ipCommand(['route', 'add', 'unreachable', range.cidr]);
    if (result.code === 0) return range;
    if (!/File exists/.test(result.stderr)) throw new Error(`ip route add unreachable ${range.cidr}: ${result.stderr.trim()}`);
  }
  throw new Error(`no free /24 left in ${poolPrefix}.0.0/16 for the services after ${attempts} attempts`);
}

/** Removes the range's route; a route already gone is not an error. */
export async function releaseServiceRange(cidr: string): Promise<void> {
  const result = await ipCommand(['route', 'del', 'unreachable', cidr]);
  if (result.code !== 0 && !/No such process|not found/i.test(result.stderr)) throw new Error(`ip route del unreachable ${cidr}: ${result.stderr.trim()}`);
}

/** The third octets of 10.245.X.Y addresses and routes the host already has. */
async function usedOctets(): Promise<Set<number>> {
  const addrs = await ipCommand(['-j', '-4', 'addr', 'show']);
  const routes = await ipCommand(['-j', '-4', 'route', 'show', 'table', 'all']);
  const seen = [
    ...(JSON.parse(addrs.stdout || '[]') as { addr_info?: { local?: string }[] }[]).flatMap((link) => (link.addr_info ?? []).map((a) => a.local ?? '')),
    ...(JSON.parse(routes.stdout || '[]') as { dst?: string }[]).map((r) => r.dst ?? ''),
  ];
  const used = new Set<number>();
  for (const address of seen) {
    const match = /^10\.245\.(\d+)\./.exec(address);
    if (match) used.add(Number(match[1]));
  }
  return used;
}

export function ipCommand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject).on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
