import type { LoadBalancerContext } from '@mizzen/filters';
import type { LbPolicy } from './cluster-config.ts';
import type { Host } from './upstream-host.ts';

/** Picks a host from the current set; `hosts` already holds one entry per unit of weight. */
export interface LoadBalancer {
  pick(hosts: Host[], context: LoadBalancerContext): Host | undefined;
}

class RoundRobin implements LoadBalancer {
  private next = 0;
  pick(hosts: Host[]): Host | undefined {
    if (hosts.length === 0) return undefined;
    if (this.next >= hosts.length) this.next = 0;
    return hosts[this.next++];
  }
}

/** Power of two choices: the less busy of two random hosts (Envoy's LEAST_REQUEST default). */
class LeastRequest implements LoadBalancer {
  pick(hosts: Host[]): Host | undefined {
    if (hosts.length <= 1) return hosts[0];
    const a = hosts[(Math.random() * hosts.length) | 0];
    const b = hosts[(Math.random() * hosts.length) | 0];
    return b.activeRequests < a.activeRequests ? b : a;
  }
}

class Random implements LoadBalancer {
  pick(hosts: Host[]): Host | undefined {
    return hosts.length === 0 ? undefined : hosts[(Math.random() * hosts.length) | 0];
  }
}

/** 32-bit FNV-1a: spreads ring points and hash keys evenly; any stable hash would do. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Consistent hashing on a ring (RING_HASH; MAGLEV uses the same ring, so the same key keeps
 * its host and a host leaving moves only its own keys). Each host gets points in proportion to
 * its weight; a key goes to the first point at or after its hash. Without a key, a random host.
 */
class RingHash implements LoadBalancer {
  private readonly size: number;
  private hosts: Host[] | undefined;
  private points = new Uint32Array(0);
  private owners: Host[] = [];

  constructor(size: number) {
    this.size = size;
  }

  pick(hosts: Host[], context: LoadBalancerContext): Host | undefined {
    if (hosts.length === 0) return undefined;
    if (context.hashKey === undefined) return hosts[(Math.random() * hosts.length) | 0];
    if (this.hosts !== hosts) this.build(hosts);
    const points = this.points;
    const key = context.hashKey >>> 0;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === points.length ? 0 : lo];
  }

  private build(hosts: Host[]): void {
    this.hosts = hosts;
    const perEntry = Math.max(1, Math.ceil(this.size / hosts.length));
    const seen = new Map<Host, number>();
    const entries: { point: number; host: Host }[] = [];
    for (const host of hosts) {
      const copy = seen.get(host) ?? 0;
      seen.set(host, copy + 1);
      for (let i = 0; i < perEntry; i++) entries.push({ point: fnv1a(`${host.key}_${copy}_${i}`), host });
    }
    entries.sort((a, b) => a.point - b.point);
    this.points = Uint32Array.from(entries, (e) => e.point);
    this.owners = entries.map((e) => e.host);
  }
}

export function createLoadBalancer(policy: LbPolicy, ringSize: number): LoadBalancer {
  switch (policy) {
    case 'LEAST_REQUEST': return new LeastRequest();
    case 'RANDOM': return new Random();
    case 'RING_HASH':
    case 'MAGLEV': return new RingHash(Math.min(ringSize, 1 << 16));
    default: return new RoundRobin();
  }
}
