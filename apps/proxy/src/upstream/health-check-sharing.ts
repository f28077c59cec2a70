// Active health checks run once per proxy, not once per thread. As Envoy runs them on its main
// thread and hands the results to its workers, the main thread of `--concurrency N` checks every
// host and the worker threads follow its verdicts: the upstreams see one probe per interval,
// not N, and every thread balances over the same healthy hosts.
import type { StatsStore } from '@mizzen/filters';

/** One host's state as the checking thread tells the others: failed (out of load balancing)
 *  or not; `null` when the host left the cluster. */
export interface HealthUpdate {
  readonly cluster: string;
  readonly host: string;
  readonly failed: boolean | null;
}

/** A following checker: told when a host of its cluster changes state. */
export interface HealthFollower {
  onShared(host: string, failed: boolean): void;
}

/** The health check results of one proxy (one per ProxyServer, found by its stats store). The
 *  checking thread publishes every change; a following thread applies them. The table keeps the
 *  last state of every host, so a cluster built later (a worker still starting, a CDS update
 *  reaching a worker after the main thread) starts from what is known. */
export class HealthShare {
  private followingMain = false;
  private readonly known = new Map<string, Map<string, boolean>>();
  private readonly subscribers = new Set<(update: HealthUpdate) => void>();
  private readonly followers = new Map<string, Set<HealthFollower>>();

  /** This thread follows the checking thread's results (a worker), starting from `initial`. */
  follow(initial: readonly HealthUpdate[] = []): void {
    this.followingMain = true;
    for (const update of initial) this.apply(update);
  }

  get following(): boolean {
    return this.followingMain;
  }

  /** The last state of a host, if one was ever published. */
  stateOf(cluster: string, host: string): boolean | undefined {
    return this.known.get(cluster)?.get(host);
  }

  /** Every known state, for a thread that starts following now. */
  snapshot(): HealthUpdate[] {
    const updates: HealthUpdate[] = [];
    for (const [cluster, hosts] of this.known) for (const [host, failed] of hosts) updates.push({ cluster, host, failed });
    return updates;
  }

  /** Calls `send` with every change from now on; returns the way to stop. */
  subscribe(send: (update: HealthUpdate) => void): () => void {
    this.subscribers.add(send);
    return () => this.subscribers.delete(send);
  }

  /** The checking thread: a host's state is new or changed, or the host is gone (`null`). */
  publish(update: HealthUpdate): void {
    this.record(update);
    for (const send of this.subscribers) send(update);
  }

  /** A following thread: the checking thread said so. */
  apply(update: HealthUpdate): void {
    this.record(update);
    if (update.failed === null) return;
    for (const follower of this.followers.get(update.cluster) ?? []) follower.onShared(update.host, update.failed);
  }

  register(cluster: string, follower: HealthFollower): void {
    let set = this.followers.get(cluster);
    if (!set) this.followers.set(cluster, (set = new Set()));
    set.add(follower);
  }

  unregister(cluster: string, follower: HealthFollower): void {
    const set = this.followers.get(cluster);
    set?.delete(follower);
    if (set?.size === 0) this.followers.delete(cluster);
  }

  private record({ cluster, host, failed }: HealthUpdate): void {
    let hosts = this.known.get(cluster);
    if (failed === null) {
      hosts?.delete(host);
      if (hosts?.size === 0) this.known.delete(cluster);
      return;
    }
    if (!hosts) this.known.set(cluster, (hosts = new Map()));
    hosts.set(host, failed);
  }
}

// Keyed by the proxy's stats store, which reaches every cluster and its checker: the one object
// a proxy's parts already share, so no constructor on the way needs to carry another.
const shares = new WeakMap<StatsStore, HealthShare>();

/** The health check results of the proxy that owns `stats`. */
export function healthShareOf(stats: StatsStore): HealthShare {
  let share = shares.get(stats);
  if (!share) shares.set(stats, (share = new HealthShare()));
  return share;
}
