import {
  NEGOTIATED_HTTP1, OVERFLOW, statusClassCounters, type ClusterStats, type Http2RequestHead, type HttpProtocol, type LoadBalancerContext, type PoolCallbacks,
  type PooledConnection, type StatsStore, type StreamCallbacks, type UpstreamCluster, type UpstreamHost, type UpstreamProtocol, type Gauge,
} from '@mizzen/filters';
import type { ClusterConfig, Endpoint } from './cluster-config.ts';
import { createLoadBalancer, type LoadBalancer } from './load-balancer.ts';
import { PickPlan, usable, type LocalityHosts, type PlanOptions, type PriorityHosts } from './pick-plan.ts';
import { DEFAULT_OVERPROVISIONING } from './priority-load.ts';
import { HealthChecker } from './health-checker.ts';
import { Http2Client, type Http2ClientEvents } from './http2-client.ts';
import { DnsRefresher } from './dns-resolution.ts';
import { OutlierDetector } from './outlier-detector.ts';
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
    upstreamRqPendingOverflow: stats.counter(`${p}upstream_rq_pending_overflow`),
    upstreamCxOverflow: stats.counter(`${p}upstream_cx_overflow`),
    upstreamRqRetryOverflow: stats.counter(`${p}upstream_rq_retry_overflow`),
    upstreamCxHttp1Total: stats.counter(`${p}upstream_cx_http1_total`),
    upstreamCxHttp2Total: stats.counter(`${p}upstream_cx_http2_total`),
    upstreamCxIdleTimeout: stats.counter(`${p}upstream_cx_idle_timeout`),
    upstreamCxMaxRequests: stats.counter(`${p}upstream_cx_max_requests`),
    upstreamCxCloseNotify: stats.counter(`${p}upstream_cx_close_notify`),
    upstreamRqRxReset: stats.counter(`${p}upstream_rq_rx_reset`),
    upstreamRqTxReset: stats.counter(`${p}upstream_rq_tx_reset`),
  };
}

/** A request waiting for a connection (max_connections reached). */
interface Waiter {
  readonly host: Host;
  readonly callbacks: PoolCallbacks;
  connection: UpstreamConnection | undefined;
}

/** A request waiting for room on an HTTP/2 session of its host. */
interface StreamWaiter {
  readonly host: Host;
  readonly head: Http2RequestHead;
  readonly callbacks: StreamCallbacks;
}

// An idle HTTP/1.1 connection closes after between 4 and 5 sweeps, a sweep every quarter of
// the idle timeout: one timer per cluster instead of one per connection.
const IDLE_SWEEPS = 4;

/** A cluster at run time: its hosts, load balancer and per-host pools (HTTP/1.1 keep-alive
 *  connections, HTTP/2 sessions). The circuit breakers count connections of both kinds
 *  together, and requests: for HTTP/2 the streams, not the sessions, are what is limited. */
export class Cluster implements UpstreamCluster {
  readonly config: ClusterConfig;
  readonly name: string;
  readonly stats: ClusterStats;
  /** False for an EDS cluster until its first ClusterLoadAssignment. */
  hasEndpoints: boolean;
  /** Called after each DNS resolution of a STRICT_DNS or LOGICAL_DNS cluster. */
  onResolved: () => void = () => {};
  private dns: DnsRefresher | undefined;
  private hosts = new Map<string, Host>();
  /** Every priority's hosts, each repeated by its weight, by locality too, best priority first. */
  private priorities: PriorityHosts[] = [];
  /** The assignment's overprovisioning factor (percent). */
  private overprovisioning = DEFAULT_OVERPROVISIONING;
  /** Where picks go; rebuilt when membership or health changes, never per request. */
  private plan: PickPlan;
  /** A balancer per priority, or per locality of a priority ("0", "0/1"), kept across plans. */
  private readonly balancers = new Map<string, LoadBalancer>();
  private readonly balancer = (key: string): LoadBalancer => {
    let lb = this.balancers.get(key);
    if (!lb) this.balancers.set(key, (lb = createLoadBalancer(this.config.lbPolicy, this.config.ringSize)));
    return lb;
  };
  private readonly membersGauge: Gauge;
  private readonly connectOptions: ConnectOptions;
  private destroyed = false;
  /** Open upstream connections, pooled or raw (max_connections). */
  private connections = 0;
  /** Requests queued for a connection (max_pending_requests). */
  private readonly waiters: Waiter[] = [];
  /** Retries in flight (max_retries). */
  private retries = 0;
  private readonly outlier: OutlierDetector | undefined;
  private readonly healthChecker: HealthChecker | undefined;
  /** Requests queued for room on an HTTP/2 session (max_pending_requests counts them too). */
  private readonly streamWaiters: StreamWaiter[] = [];
  readonly scheme: 'http' | 'https';
  private sweeps = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly sessionEvents: Http2ClientEvents = {
    onReady: (client) => this.serveStreams(client.host),
    onStreamClosed: (client) => this.serveStreams(client.host),
    onConnectFailure: (client, reason) => this.sessionFailed(client, reason),
    onNegotiatedHttp1: (client) => {
      client.host.http1Only = true;
      this.sessionFailed(client, NEGOTIATED_HTTP1);
    },
    onClosed: (client) => this.sessionClosed(client),
  };

  constructor(config: ClusterConfig, stats: StatsStore) {
    this.config = config;
    this.name = config.name;
    this.stats = clusterStats(stats, config.name);
    this.membersGauge = stats.gauge(`cluster.${config.name}.membership_healthy`);
    this.plan = new PickPlan([], this.planOptions(), this.balancer);
    this.hasEndpoints = config.type !== 'EDS';
    this.connectOptions = { connectTimeoutMs: config.connectTimeoutMs, sourceAddress: config.sourceAddress, keepaliveSeconds: config.keepaliveSeconds, stats: this.stats, transport: config.transport };
    if (config.outlierDetection) {
      this.outlier = new OutlierDetector(config.outlierDetection, () => this.hosts.values(), () => this.refreshPickList(), stats, config.name);
    }
    if (config.healthCheck) {
      this.healthChecker = new HealthChecker(config.healthCheck, config.name, (host, healthy) => {
        if (healthy) this.outlier?.uneject(host);
        this.refreshPickList();
      }, stats);
    }
    if (config.type === 'STATIC') this.setEndpoints(config.endpoints);
    // A DNS cluster warms until its first resolution, which, failed or not, completes it.
    if (config.dns) {
      this.hasEndpoints = false;
      this.dns = new DnsRefresher(config.dns, (endpoints) => {
        if (endpoints) this.setEndpoints(endpoints);
        else if (!this.hasEndpoints) this.setEndpoints([]);
        this.onResolved();
      });
    }
    this.scheme = config.tls !== undefined || config.tlsMatches.length > 0 ? 'https' : 'http';
    const idle = config.protocolOptions.idleTimeoutMs;
    if (idle > 0) {
      this.sweepTimer = setInterval(() => this.sweepIdle(), Math.max(1, idle / IDLE_SWEEPS));
      this.sweepTimer.unref();
    }
  }

  /** Closes HTTP/1.1 connections idle for longer than idle_timeout (sessions time themselves). */
  private sweepIdle(): void {
    this.sweeps++;
    const oldest = this.sweeps - IDLE_SWEEPS - 1;
    for (const host of this.hosts.values()) {
      const idle = host.idle;
      for (let i = idle.length - 1; i >= 0; i--) {
        if (idle[i].idleSweep > oldest) continue;
        this.stats.upstreamCxIdleTimeout.inc();
        idle[i].socket.destroy();
      }
    }
  }

  setEndpoints(endpoints: Endpoint[]): void {
    this.hasEndpoints = true;
    const next = new Map<string, Host>();
    const byPriority = new Map<number, { hosts: Host[]; localities: Map<number, LocalityHosts> }>();
    for (const e of endpoints) {
      const key = hostKey(e.address, e.port);
      let host = next.get(key) ?? this.hosts.get(key);
      if (!host) host = new Host(e.address, e.port);
      host.priority = e.priority;
      next.set(key, host);
      let level = byPriority.get(e.priority);
      if (!level) byPriority.set(e.priority, (level = { hosts: [], localities: new Map() }));
      let locality = level.localities.get(e.locality ?? 0);
      if (!locality) level.localities.set(e.locality ?? 0, (locality = { weight: e.localityWeight ?? 0, hosts: [] }));
      for (let i = 0; i < e.weight; i++) {
        level.hosts.push(host);
        locality.hosts.push(host);
      }
    }
    this.priorities = [...byPriority].sort(([a], [b]) => a - b).map(([priority, level]) => ({ priority, hosts: level.hosts, localities: [...level.localities.values()] }));
    this.overprovisioning = endpoints[0]?.overprovisioning ?? DEFAULT_OVERPROVISIONING;
    for (const [key, host] of this.hosts) if (!next.has(key)) host.closeIdle();
    this.hosts = next;
    this.healthChecker?.setHosts(next.values());
    this.refreshPickList();
  }

  private planOptions(): PlanOptions {
    // Hash balancers keep one ring per priority; locality weights do not apply to them here.
    const hashing = this.config.lbPolicy === 'RING_HASH' || this.config.lbPolicy === 'MAGLEV';
    return { overprovisioning: this.overprovisioning, panicThreshold: this.config.panicThreshold, localityWeighted: this.config.localityWeighted && !hashing };
  }

  /** Recomputes where picks go: priority loads from usable hosts (ejected or failing active
   *  health checks are out), panic per priority (healthy_panic_threshold), locality weights. */
  private refreshPickList(): void {
    let healthy = 0;
    for (const host of this.hosts.values()) if (usable(host)) healthy++;
    this.plan = new PickPlan(this.priorities, this.planOptions(), this.balancer);
    this.membersGauge.set(healthy);
  }

  /** Current hosts, for /clusters. */
  hostList(): Host[] {
    return [...this.hosts.values()];
  }

  chooseHost(context: LoadBalancerContext): Host | undefined {
    if (this.config.type === 'ORIGINAL_DST') return this.originalDstHost(context);
    const excluded = context.excludedPriorities;
    if (excluded && excluded.size > 0) {
      // A retry under previous_priorities: the best priority not tried yet, its usable hosts
      // (all of them if none is); with every priority tried, the usual pick (as Envoy resets).
      const next = this.priorities.find((p) => !excluded.has(p.priority));
      if (next && next !== this.priorities[0]) {
        const hosts = next.hosts.filter(usable);
        return this.balancer(`${next.priority}`).pick(hosts.length > 0 ? hosts : next.hosts, context);
      }
    }
    return this.plan.pick(context);
  }

  private originalDstHost(context: LoadBalancerContext): Host {
    const key = hostKey(context.originalDstAddress, context.originalDstPort);
    let host = this.hosts.get(key);
    if (!host) {
      if (this.hosts.size >= MAX_ORIGINAL_DST_HOSTS) {
        for (const [k, h] of this.hosts) if (h.activeRequests === 0 && h.idle.length === 0 && h.sessions.length === 0) this.hosts.delete(k);
      }
      host = new Host(context.originalDstAddress, context.originalDstPort);
      this.hosts.set(key, host);
    }
    return host;
  }

  acquire(host: Host, callbacks: PoolCallbacks): { cancel(): void } {
    const breakers = this.config.circuitBreakers;
    if (this.stats.upstreamRqActive.value > breakers.maxRequests) return this.overflow(callbacks);
    const idle = host.idle;
    while (idle.length > 0) {
      const connection = idle.pop() as UpstreamConnection;
      if (connection.socket.destroyed || !connection.socket.writable) continue;
      connection.socket.setTimeout(0);
      callbacks.onPoolReady(connection);
      return NO_PENDING;
    }
    if (this.connections < breakers.maxConnections) return this.newConnection(host, callbacks, true);
    this.stats.upstreamCxOverflow.inc();
    if (this.waiters.length >= breakers.maxPendingRequests) return this.overflow(callbacks);
    const waiter: Waiter = { host, callbacks, connection: undefined };
    this.waiters.push(waiter);
    // An idle connection to another host holds a slot this request could use.
    for (const h of this.hosts.values()) {
      if (h !== host && h.idle.length > 0) {
        (h.idle.pop() as UpstreamConnection).socket.destroy();
        break;
      }
    }
    return {
      cancel: () => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        waiter.connection?.cancel();
      },
    };
  }

  /** A circuit breaker refused the request (after the caller got its cancel handle). */
  private overflow(callbacks: Pick<PoolCallbacks, 'onPoolFailure'>): { cancel(): void } {
    this.stats.upstreamRqPendingOverflow.inc();
    queueMicrotask(() => callbacks.onPoolFailure(OVERFLOW));
    return NO_PENDING;
  }

  private newConnection(host: Host, callbacks: PoolCallbacks, pooled: boolean): UpstreamConnection {
    this.connections++;
    const connection = new UpstreamConnection(host, this.connectOptions, callbacks, this.onConnectionClosed, pooled);
    if (this.config.protocolOptions.maxConnectionDurationMs > 0) connection.createdAt = performance.now();
    return connection;
  }

  upstreamProtocol(downstream: HttpProtocol, host: Host): UpstreamProtocol {
    const protocol = this.config.protocolOptions.protocol;
    if (protocol === 'HTTP/1.1' || protocol === 'HTTP/2') return protocol;
    if (protocol === 'downstream') return downstream === 'HTTP/2' ? 'HTTP/2' : 'HTTP/1.1';
    // auto_config: HTTP/1.1 in clear text; over TLS HTTP/2 until the host's ALPN says otherwise.
    return this.scheme === 'https' && !host.http1Only ? 'HTTP/2' : 'HTTP/1.1';
  }

  openStream(host: Host, head: Http2RequestHead, callbacks: StreamCallbacks): { cancel(): void } {
    const breakers = this.config.circuitBreakers;
    if (this.stats.upstreamRqActive.value > breakers.maxRequests) return this.overflow(callbacks);
    for (const session of host.sessions) {
      if (session.room > 0) {
        session.openStream(head, callbacks);
        return NO_PENDING;
      }
    }
    if (this.waiters.length + this.streamWaiters.length >= breakers.maxPendingRequests) return this.overflow(callbacks);
    const waiter: StreamWaiter = { host, head, callbacks };
    this.streamWaiters.push(waiter);
    this.growSessions(host);
    return {
      cancel: () => {
        const i = this.streamWaiters.indexOf(waiter);
        if (i !== -1) this.streamWaiters.splice(i, 1);
      },
    };
  }

  /** Opens sessions to `host` until the ones coming up can take every request waiting for it. */
  private growSessions(host: Host): void {
    let waiting = 0;
    for (const w of this.streamWaiters) if (w.host === host) waiting++;
    let expected = 0;
    for (const session of host.sessions) expected += session.expectedRoom;
    while (waiting > expected && !this.destroyed) {
      if (this.connections >= this.config.circuitBreakers.maxConnections) {
        this.stats.upstreamCxOverflow.inc();
        return;
      }
      this.connections++;
      const session = new Http2Client(host, this.connectOptions, this.config.protocolOptions, this.scheme, this.sessionEvents);
      host.sessions.push(session);
      expected += session.expectedRoom;
    }
  }

  /** A session of `host` has room: the requests waiting for that host take it, in order. */
  private serveStreams(host: Host): void {
    for (let i = 0; i < this.streamWaiters.length;) {
      const waiter = this.streamWaiters[i];
      if (waiter.host !== host) {
        i++;
        continue;
      }
      const session = host.sessions.find((s) => s.room > 0);
      if (session === undefined) break;
      this.streamWaiters.splice(i, 1);
      session.openStream(waiter.head, waiter.callbacks);
    }
    this.growSessions(host);
  }

  /** A session never came up: the requests waiting for its host fail, unless another session
   *  of the host is still coming up for them. */
  private sessionFailed(failed: Http2Client, reason: string): void {
    const host = failed.host;
    if (host.sessions.some((s) => s !== failed && s.expectedRoom > 0)) return;
    const failing = this.streamWaiters.filter((w) => w.host === host);
    for (const waiter of failing) this.streamWaiters.splice(this.streamWaiters.indexOf(waiter), 1);
    for (const waiter of failing) waiter.callbacks.onPoolFailure(reason);
  }

  private sessionClosed(session: Http2Client): void {
    this.connections--;
    const sessions = session.host.sessions;
    const i = sessions.indexOf(session);
    if (i !== -1) sessions.splice(i, 1);
    this.slotFreed();
  }

  /** A connection closed: requests waiting for a slot (of either protocol) may take it. */
  private slotFreed(): void {
    this.serveWaiters();
    if (this.streamWaiters.length === 0) return;
    for (const host of new Set(this.streamWaiters.map((w) => w.host))) this.growSessions(host);
  }

  connect(host: Host, callbacks: PoolCallbacks): { cancel(): void } {
    if (this.connections >= this.config.circuitBreakers.maxConnections) {
      this.stats.upstreamCxOverflow.inc();
      queueMicrotask(() => callbacks.onPoolFailure(OVERFLOW));
      return NO_PENDING;
    }
    return this.newConnection(host, callbacks, false);
  }

  private readonly onConnectionClosed = (connection: UpstreamConnection): void => {
    this.connections--;
    const idle = connection.host.idle;
    const i = idle.indexOf(connection);
    if (i !== -1) idle.splice(i, 1);
    this.slotFreed();
  };

  /** Opens connections for queued requests while slots are free. */
  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.connections < this.config.circuitBreakers.maxConnections && !this.destroyed) {
      const waiter = this.waiters.shift() as Waiter;
      waiter.connection = this.newConnection(waiter.host, waiter.callbacks, true);
    }
  }

  release(connection: PooledConnection, reusable: boolean): void {
    const c = connection as UpstreamConnection;
    c.handler = undefined;
    const limits = this.config.protocolOptions;
    if (reusable && limits.maxRequestsPerConnection > 0 && ++c.requests >= limits.maxRequestsPerConnection) {
      this.stats.upstreamCxMaxRequests.inc();
      reusable = false;
    }
    if (reusable && limits.maxConnectionDurationMs > 0 && performance.now() - c.createdAt >= limits.maxConnectionDurationMs) reusable = false;
    if (!reusable || this.destroyed || c.socket.destroyed || !this.hosts.has(c.host.key)) {
      c.socket.destroy();
      return;
    }
    c.reused = true;
    c.idleSweep = this.sweeps;
    // The common case: nobody waits (a queue only forms past the connection limit).
    if (this.waiters.length === 0) {
      c.host.idle.push(c);
      return;
    }
    // A request queued for this host takes the connection over at once.
    const i = this.waiters.findIndex((w) => w.host === c.host);
    if (i !== -1) {
      const [waiter] = this.waiters.splice(i, 1);
      waiter.callbacks.onPoolReady(c);
      return;
    }
    // Only other hosts are waited for: free the slot.
    c.socket.destroy();
  }

  startRetry(): boolean {
    if (this.retries >= this.config.circuitBreakers.maxRetries) {
      this.stats.upstreamRqRetryOverflow.inc();
      return false;
    }
    this.retries++;
    return true;
  }

  retryDone(): void {
    this.retries--;
  }

  reportResult(host: UpstreamHost, status: number): void {
    this.outlier?.report(host as Host, status);
  }

  /** The cluster was removed or replaced: idle connections close; busy ones close when released. */
  destroy(): void {
    this.destroyed = true;
    this.dns?.stop();
    clearInterval(this.sweepTimer);
    this.outlier?.destroy();
    this.healthChecker?.destroy();
    for (const host of this.hosts.values()) host.closeIdle();
  }
}
