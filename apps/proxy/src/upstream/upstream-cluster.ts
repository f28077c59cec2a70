import {
  statusClassCounters, type ClusterStats, type LoadBalancerContext, type PoolCallbacks, type PooledConnection, type StatsStore,
  type UpstreamCluster, type Gauge,
} from '@mizzen/filters';
import type { ClusterConfig, Endpoint } from './cluster-config.ts';
import { createLoadBalancer, type LoadBalancer } from './load-balancer.ts';
import { UpstreamConnection, type ConnectOptions } from './upstream-connection.ts';
import { Host, hostKey } from './upstream-host.ts';

const NO_PENDING = { cancel(): void {} };
// ORIGINAL_DST hosts are made on demand; idle ones are forgotten past this many.
const MAX_ORIGINAL_DST_HOSTS = 1024;

function clusterStats(stats: StatsStore, name: string): ClusterStats {
  const p = `cluster.${name}.`;
  return {
    upstreamRqTotal: stats.counter(`${p}upstream_rq_total`),
    upstreamRqClass: statusClassCounters(stats, `${p}upstream_rq`),
    upstreamRqTimeout: stats.counter(`${p}upstream_rq_timeout`),
    upstreamRqPerTryTimeout: stats.counter(`${p}upstream_rq_per_try_timeout`),
    upstreamRqRetry: stats.counter(`${p}upstream_rq_retry`),
    upstreamRqActive: stats.gauge(`${p}upstream_rq_active`),
    upstreamCxTotal: stats.counter(`${p}upstream_cx_total`),
    upstreamCxActive: stats.gauge(`${p}upstream_cx_active`),
    upstreamCxConnectFail: stats.counter(`${p}upstream_cx_connect_fail`),
    upstreamCxConnectTimeout: stats.counter(`${p}upstream_cx_connect_timeout`),
    upstreamCxNoneHealthy: stats.counter(`${p}upstream_cx_none_healthy`),
  };
}

/** A cluster at run time: its hosts, load balancer and per-host keep-alive pools. */
export class Cluster implements UpstreamCluster {
  readonly config: ClusterConfig;
  readonly name: string;
  readonly stats: ClusterStats;
  /** False for an EDS cluster until its first ClusterLoadAssignment. */
  hasEndpoints: boolean;
  private hosts = new Map<string, Host>();
  /** The hosts of the best priority, each repeated by its weight. */
  private pickList: Host[] = [];
  private readonly lb: LoadBalancer;
  private readonly membersGauge: Gauge;
  private readonly connectOptions: ConnectOptions;
  private destroyed = false;

  constructor(config: ClusterConfig, stats: StatsStore) {
    this.config = config;
    this.name = config.name;
    this.stats = clusterStats(stats, config.name);
    this.membersGauge = stats.gauge(`cluster.${config.name}.membership_healthy`);
    this.lb = createLoadBalancer(config.lbPolicy);
    this.hasEndpoints = config.type !== 'EDS';
    this.connectOptions = { connectTimeoutMs: config.connectTimeoutMs, sourceAddress: config.sourceAddress, keepaliveSeconds: config.keepaliveSeconds, stats: this.stats };
    if (config.type === 'STATIC') this.setEndpoints(config.endpoints);
  }

  setEndpoints(endpoints: Endpoint[]): void {
    this.hasEndpoints = true;
    const best = endpoints.reduce((min, e) => Math.min(min, e.priority), Infinity);
    const next = new Map<string, Host>();
    const pickList: Host[] = [];
    for (const e of endpoints) {
      const key = hostKey(e.address, e.port);
      let host = next.get(key) ?? this.hosts.get(key);
      if (!host) host = new Host(e.address, e.port);
      next.set(key, host);
      if (e.priority === best) for (let i = 0; i < e.weight; i++) pickList.push(host);
    }
    for (const [key, host] of this.hosts) if (!next.has(key)) host.closeIdle();
    this.hosts = next;
    this.pickList = pickList;
    this.membersGauge.set(next.size);
  }

  /** Current hosts, for /clusters. */
  hostList(): Host[] {
    return [...this.hosts.values()];
  }

  chooseHost(context: LoadBalancerContext): Host | undefined {
    if (this.config.type === 'ORIGINAL_DST') return this.originalDstHost(context);
    return this.lb.pick(this.pickList);
  }

  private originalDstHost(context: LoadBalancerContext): Host {
    const key = hostKey(context.originalDstAddress, context.originalDstPort);
    let host = this.hosts.get(key);
    if (!host) {
      if (this.hosts.size >= MAX_ORIGINAL_DST_HOSTS) {
        for (const [k, h] of this.hosts) if (h.activeRequests === 0 && h.idle.length === 0) this.hosts.delete(k);
      }
      host = new Host(context.originalDstAddress, context.originalDstPort);
      this.hosts.set(key, host);
    }
    return host;
  }

  acquire(host: Host, callbacks: PoolCallbacks): { cancel(): void } {
    const idle = host.idle;
    while (idle.length > 0) {
      const connection = idle.pop() as UpstreamConnection;
      if (connection.socket.destroyed || !connection.socket.writable) continue;
      connection.socket.setTimeout(0);
      callbacks.onPoolReady(connection);
      return NO_PENDING;
    }
    return new UpstreamConnection(host, this.connectOptions, callbacks, this.onConnectionClosed, true);
  }

  connect(host: Host, callbacks: PoolCallbacks): { cancel(): void } {
    return new UpstreamConnection(host, this.connectOptions, callbacks, this.onConnectionClosed, false);
  }

  private readonly onConnectionClosed = (connection: UpstreamConnection): void => {
    const idle = connection.host.idle;
    const i = idle.indexOf(connection);
    if (i !== -1) idle.splice(i, 1);
  };

  release(connection: PooledConnection, reusable: boolean): void {
    const c = connection as UpstreamConnection;
    c.handler = undefined;
    if (!reusable || this.destroyed || c.socket.destroyed || !this.hosts.has(c.host.key)) {
      c.socket.destroy();
      return;
    }
    c.reused = true;
    c.host.idle.push(c);
  }

  /** The cluster was removed or replaced: idle connections close; busy ones close when released. */
  destroy(): void {
    this.destroyed = true;
    for (const host of this.hosts.values()) host.closeIdle();
  }
}
