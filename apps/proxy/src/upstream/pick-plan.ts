import type { LoadBalancerContext } from '@mizzen/filters';
import type { LoadBalancer } from './load-balancer.ts';
import { health, priorityLoad } from './priority-load.ts';
import type { Host } from './upstream-host.ts';

/** A locality's hosts at one priority, each repeated by its weight. */
export interface LocalityHosts {
  /** Its load_balancing_weight; 0 when it has none. */
  readonly weight: number;
  readonly hosts: Host[];
}

/** A priority level's hosts, each repeated by its weight, all together and by locality. */
export interface PriorityHosts {
  readonly priority: number;
  readonly hosts: Host[];
  readonly localities: LocalityHosts[];
}

export interface PlanOptions {
  readonly overprovisioning: number;
  readonly panicThreshold: number;
  readonly localityWeighted: boolean;
}

/** A host list to pick from and the balancer that keeps its state (round robin position, ring). */
interface Draw {
  readonly hosts: Host[];
  readonly lb: LoadBalancer;
}

/** A priority taking load: its cumulative share of 100 and its draws, by cumulative locality weight. */
interface Tier {
  readonly upTo: number;
  readonly draws: Draw[];
  readonly drawUpTo: number[];
}

export const usable = (host: Host): boolean => host.ejectedUntil === 0 && !host.activeHealthFailed;

/**
 * Where a cluster's picks go, computed when membership or health changes so that a pick is
 * one or two random draws at most: the priority by its load, then (with locality weighting)
 * the locality by weight x health, then the host by the cluster's balancer. `balancer(key)`
 * returns the balancer for a priority ("0") or one of its localities ("0/2").
 */
export class PickPlan {
  private readonly tiers: Tier[];

  constructor(priorities: readonly PriorityHosts[], options: PlanOptions, balancer: (key: string) => LoadBalancer) {
    const usableLists = priorities.map((p) => {
      const list = p.hosts.filter(usable);
      // The same array when nothing is out, so a ring over it is not rebuilt.
      return list.length === p.hosts.length ? p.hosts : list;
    });
    const { loads, panic } = priorityLoad(priorities.map((p, i) => ({ usable: usableLists[i].length, total: p.hosts.length })), options.overprovisioning, options.panicThreshold);
    this.tiers = [];
    let upTo = 0;
    priorities.forEach((p, i) => {
      if (loads[i] === 0) return;
      upTo += loads[i];
      const whole = { hosts: panic[i] ? p.hosts : usableLists[i], lb: balancer(`${p.priority}`) };
      // In panic a priority's hosts all take traffic, localities aside, as in Envoy.
      const byLocality = options.localityWeighted && !panic[i] ? localityDraws(p, options.overprovisioning, balancer) : undefined;
      this.tiers.push(byLocality && byLocality.draws.length > 0 ? { upTo, ...byLocality } : { upTo, draws: [whole], drawUpTo: [] });
    });
  }

  pick(context: LoadBalancerContext): Host | undefined {
    const tiers = this.tiers;
    if (tiers.length === 0) return undefined;
    let tier = tiers[0];
    if (tiers.length > 1) {
      // A hash key keeps a request on the same priority; otherwise at random by load.
      const roll = context.hashKey !== undefined ? (context.hashKey >>> 0) % 100 : Math.random() * 100;
      tier = tiers.find((t) => roll < t.upTo) ?? tiers[tiers.length - 1];
    }
    let draw = tier.draws[0];
    const bounds = tier.drawUpTo;
    if (bounds.length > 1) {
      const roll = Math.random() * bounds[bounds.length - 1];
      draw = tier.draws[bounds.findIndex((b) => roll < b)] ?? draw;
    }
    return draw.lb.pick(draw.hosts, context);
  }
}

/** A priority's localities with usable hosts, by load_balancing_weight x health. */
function localityDraws(p: PriorityHosts, overprovisioning: number, balancer: (key: string) => LoadBalancer): { draws: Draw[]; drawUpTo: number[] } {
  const draws: Draw[] = [];
  const drawUpTo: number[] = [];
  let total = 0;
  p.localities.forEach((l, j) => {
    const hosts = l.hosts.filter(usable);
    const weight = l.weight * health(hosts.length, l.hosts.length, overprovisioning);
    if (weight <= 0) return;
    total += weight;
    draws.push({ hosts, lb: balancer(`${p.priority}/${j}`) });
    drawUpTo.push(total);
  });
  return { draws, drawUpTo };
}
