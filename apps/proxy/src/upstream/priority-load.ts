/**
 * How a cluster splits its traffic across priority levels, as Envoy does. Each level's health is
 * its usable (not ejected, passing health checks) share of weight times the overprovisioning
 * factor, capped at 100%. The best level takes load up to its health and spills the rest to the
 * next ones. When the levels together are below 100%, their loads are scaled up to fill 100%,
 * and only then may a level fall into panic (use all its hosts, usable or not).
 */

/** One priority level: weight of its usable hosts and of all its hosts. */
export interface PriorityLevel {
  readonly usable: number;
  readonly total: number;
}

/** Percent of requests per level (summing to 100) and which levels are in panic. */
export interface PriorityLoad {
  readonly loads: number[];
  readonly panic: boolean[];
}

/** Envoy's default ClusterLoadAssignment policy.overprovisioning_factor (1.4, in percent). */
export const DEFAULT_OVERPROVISIONING = 140;

/** A share's health in whole percent: usable / total x overprovisioning, at most 100. */
export function health(usable: number, total: number, overprovisioning: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.floor((overprovisioning * usable) / total));
}

function inPanic(level: PriorityLevel, panicThreshold: number): boolean {
  if (panicThreshold <= 0) return false;
  return level.total === 0 || (level.usable * 100) / level.total < panicThreshold;
}

/** Splits 100% across levels by health (whole percents, the rounding rest to the best level with health). */
export function priorityLoad(levels: readonly PriorityLevel[], overprovisioning = DEFAULT_OVERPROVISIONING, panicThreshold = 50): PriorityLoad {
  const healths = levels.map((l) => health(l.usable, l.total, overprovisioning));
  const available = Math.min(100, healths.reduce((sum, h) => sum + h, 0));
  const loads = levels.map(() => 0);
  // No level has a usable host: everything goes to the best one, in panic there.
  if (available === 0) {
    if (loads.length > 0) loads[0] = 100;
    return { loads, panic: levels.map((l) => inPanic(l, panicThreshold)) };
  }
  let rest = 100;
  for (let i = 0; i < levels.length; i++) {
    loads[i] = Math.min(rest, Math.floor((healths[i] * 100) / available));
    rest -= loads[i];
  }
  if (rest > 0) loads[healths.findIndex((h) => h > 0)] += rest;
  // With enough capacity across levels, none panics: the spillover already covers it.
  const panic = levels.map((l) => available < 100 && inPanic(l, panicThreshold));
  return { loads, panic };
}
