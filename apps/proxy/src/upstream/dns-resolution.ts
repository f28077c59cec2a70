// STRICT_DNS and LOGICAL_DNS clusters: their endpoints name hosts, resolved now and again
// (every dns_refresh_rate, or by the records' TTL with respect_dns_ttl), each resolution
// replacing the cluster's hosts, as Envoy does. A failed resolution keeps the last hosts.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { ConfigError, oneOf, optionalBoolean, optionalDurationMs, type JsonObject } from '@mizzen/filters';
import type { Endpoint } from './cluster-config.ts';

export type DnsLookupFamily = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';

export interface DnsConfig {
  readonly family: DnsLookupFamily;
  readonly refreshMs: number;
  readonly respectTtl: boolean;
  /** LOGICAL_DNS: only the first address of the one endpoint is used. */
  readonly logical: boolean;
  /** The endpoints as configured, their `address` a host name (or an IP). */
  readonly targets: readonly Endpoint[];
}

// Envoy's defaults: dns_refresh_rate 5 s, and the same floor for a record's TTL.
const DEFAULT_REFRESH_MS = 5_000;
const MIN_REFRESH_MS = 5_000;

/** The DNS settings of a STRICT_DNS or LOGICAL_DNS cluster; throws a ConfigError naming the field. */
export function compileDnsConfig(obj: JsonObject, path: string, type: 'STRICT_DNS' | 'LOGICAL_DNS', targets: Endpoint[]): DnsConfig {
  if (type === 'LOGICAL_DNS' && targets.length !== 1) throw new ConfigError(`${path}.load_assignment`, `LOGICAL_DNS clusters take exactly one endpoint (found ${targets.length})`);
  const refreshMs = optionalDurationMs(obj, 'dns_refresh_rate', path) ?? DEFAULT_REFRESH_MS;
  if (refreshMs < 1) throw new ConfigError(`${path}.dns_refresh_rate`, 'must be at least 1ms');
  return {
    family: oneOf(obj, 'dns_lookup_family', path, ['AUTO', 'V4_ONLY', 'V6_ONLY', 'V4_PREFERRED', 'ALL'], 'AUTO'),
    refreshMs,
    respectTtl: optionalBoolean(obj, 'respect_dns_ttl', path) ?? false,
    logical: type === 'LOGICAL_DNS',
    targets,
  };
}

/** How addresses of one family are found: the system resolver (hosts file first). */
export type Lookup = (host: string, family: 4 | 6 | 0) => Promise<string[]>;

const systemLookup: Lookup = async (host, family) => (await dns.lookup(host, { all: true, family })).map((a) => a.address);

/** A host's addresses under a lookup family, as Envoy orders them: AUTO tries IPv6 then IPv4,
 *  V4_PREFERRED the other way round, ALL takes both. Throws when nothing is found. */
export async function resolveHost(host: string, family: DnsLookupFamily, lookup: Lookup = systemLookup): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  const tries: (4 | 6 | 0)[] = { V4_ONLY: [4], V6_ONLY: [6], AUTO: [6, 4], V4_PREFERRED: [4, 6], ALL: [0] }[family] as (4 | 6 | 0)[];
  let failure: unknown;
  for (const f of tries) {
    try {
      const addresses = await lookup(host, f);
      if (addresses.length > 0) return addresses;
    } catch (err) {
      failure = err;
    }
  }
  throw failure instanceof Error ? failure : new Error(`no ${family} address for ${host}`);
}

/** The lowest TTL of a host's records in milliseconds (undefined when no record says, e.g. a
 *  name from the hosts file). */
async function ttlMs(host: string, family: DnsLookupFamily): Promise<number | undefined> {
  if (isIP(host) !== 0) return undefined;
  const records = await Promise.allSettled([
    family === 'V6_ONLY' ? Promise.resolve([]) : dns.resolve4(host, { ttl: true }),
    family === 'V4_ONLY' ? Promise.resolve([]) : dns.resolve6(host, { ttl: true }),
  ]);
  const ttls = records.flatMap((r) => (r.status === 'fulfilled' ? r.value.map((a) => a.ttl) : []));
  return ttls.length === 0 ? undefined : Math.min(...ttls) * 1000;
}

/** Every target resolved: one endpoint per address (STRICT_DNS), or the first (LOGICAL_DNS),
 *  keeping the target's port, weight and priority. */
export async function resolveEndpoints(config: DnsConfig, lookup: Lookup = systemLookup): Promise<Endpoint[]> {
  const resolved = await Promise.all(config.targets.map(async (target) => {
    const addresses = await resolveHost(target.address, config.family, lookup);
    return (config.logical ? addresses.slice(0, 1) : addresses).map((address) => ({ ...target, address }));
  }));
  return resolved.flat();
}

/** Resolves a cluster's targets at once and then again on its refresh schedule until stopped. */
export class DnsRefresher {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly config: DnsConfig;
  private readonly onResolved: (endpoints: Endpoint[] | undefined, error?: Error) => void;
  private readonly lookup: Lookup;

  /** onResolved gets the endpoints, or undefined and the error when the resolution failed. */
  constructor(config: DnsConfig, onResolved: (endpoints: Endpoint[] | undefined, error?: Error) => void, lookup: Lookup = systemLookup) {
    this.config = config;
    this.onResolved = onResolved;
    this.lookup = lookup;
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    let next = this.config.refreshMs;
    try {
      const endpoints = await resolveEndpoints(this.config, this.lookup);
      if (this.config.respectTtl) {
        const ttls = await Promise.all(this.config.targets.map((t) => ttlMs(t.address, this.config.family)));
        const known = ttls.filter((t): t is number => t !== undefined);
        if (known.length > 0) next = Math.max(MIN_REFRESH_MS, Math.min(...known));
      }
      if (!this.stopped) this.onResolved(endpoints);
    } catch (err) {
      if (!this.stopped) this.onResolved(undefined, err as Error);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh(), next);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
