import type { LbPolicy } from './cluster-config.ts';
import type { Host } from './upstream-host.ts';

/** Picks a host from the current set; `hosts` already holds one entry per unit of weight. */
export interface LoadBalancer {
  pick(hosts: Host[]): Host | undefined;
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

export function createLoadBalancer(policy: LbPolicy): LoadBalancer {
  switch (policy) {
    case 'LEAST_REQUEST': return new LeastRequest();
    case 'RANDOM': return new Random();
    default: return new RoundRobin();
  }
}
