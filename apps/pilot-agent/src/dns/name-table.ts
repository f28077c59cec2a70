import { isIP } from 'node:net';

/** What a name resolves to, split by family. */
export interface NameRecords {
  ipv4: string[];
  ipv6: string[];
}

/** Lower-case names without the trailing dot, to their addresses. */
export type LookupTable = ReadonlyMap<string, NameRecords>;

/**
 * Turns istiod's NameTable (NDS, Envoy JSON) into the names the pod may ask for, as Istio's
 * agent does: every host as given, and for a Kubernetes service also `name.namespace` and
 * `name.namespace.svc`, and the bare `name` when the service is in the pod's own namespace.
 * Throws naming the host whose entry is wrong.
 */
export function buildLookupTable(nameTable: unknown, podNamespace: string): LookupTable {
  const table = (nameTable as { table?: unknown } | null)?.table ?? {};
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw new Error('NameTable.table must be a map of host names');
  const result = new Map<string, NameRecords>();
  for (const [host, info] of Object.entries(table as Record<string, unknown>)) {
    const where = `NameTable.table["${host}"]`;
    if (!isDnsName(host)) throw new Error(`${where}: "${host}" is not a DNS name`);
    const entry = (info ?? {}) as { ips?: unknown; registry?: unknown; shortname?: unknown; namespace?: unknown };
    const ips = entry.ips ?? [];
    if (!Array.isArray(ips) || ips.length === 0) throw new Error(`${where}.ips: a host needs at least one address`);
    const records: NameRecords = { ipv4: [], ipv6: [] };
    for (const ip of ips) {
      const family = typeof ip === 'string' ? isIP(ip) : 0;
      if (family === 0) throw new Error(`${where}.ips: ${JSON.stringify(ip)} is not an IP address`);
      (family === 4 ? records.ipv4 : records.ipv6).push(ip as string);
    }
    for (const name of namesOf(host, entry, podNamespace)) result.set(name, records);
  }
  return result;
}

function namesOf(host: string, entry: { registry?: unknown; shortname?: unknown; namespace?: unknown }, podNamespace: string): string[] {
  const names = [host.toLowerCase()];
  const { registry, shortname, namespace } = entry;
  if (registry === 'Kubernetes' && typeof shortname === 'string' && shortname !== '' && typeof namespace === 'string' && namespace !== '') {
    const short = shortname.toLowerCase();
    const ns = namespace.toLowerCase();
    names.push(`${short}.${ns}`, `${short}.${ns}.svc`);
    if (ns === podNamespace.toLowerCase()) names.push(short);
  }
  return names;
}

/** A name as asked: lower case, without the trailing dot. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Finds a name, also when the resolver appended one of its search domains to a short name
 * (a pod asking for `reviews.default` may send `reviews.default.bookinfo.svc.cluster.local`).
 */
export function lookupName(table: LookupTable, name: string, searchDomains: readonly string[]): NameRecords | undefined {
  const asked = canonicalName(name);
  const found = table.get(asked);
  if (found) return found;
  for (const domain of searchDomains) {
    const suffix = `.${canonicalName(domain)}`;
    if (asked.endsWith(suffix)) {
      const stripped = table.get(asked.slice(0, -suffix.length));
      if (stripped) return stripped;
    }
  }
  return undefined;
}

function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => /^[A-Za-z0-9_*]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label));
}
