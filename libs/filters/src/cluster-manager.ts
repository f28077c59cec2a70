import type { Socket } from 'node:net';
import type { Counter, Gauge } from './stats.ts';

/** One endpoint of a cluster. `activeRequests` feeds least-request balancing. */
export interface UpstreamHost {
  readonly address: string;
  readonly port: number;
  activeRequests: number;
}

/** What a load balancer may look at when picking a host. */
export interface LoadBalancerContext {
  /** The downstream connection's original destination (ORIGINAL_DST clusters use it). */
  readonly originalDstAddress: string;
  readonly originalDstPort: number;
  /** The route's hash_policy result, for RING_HASH and MAGLEV clusters. */
  readonly hashKey?: number;
}

/** Counters every cluster keeps (Envoy's names under `cluster.NAME.`). */
export interface ClusterStats {
  readonly upstreamRqTotal: Counter;
  /** Indexed by status / 100. */
  readonly upstreamRqClass: Counter[];
  readonly upstreamRqTimeout: Counter;
  readonly upstreamRqPerTryTimeout: Counter;
  readonly upstreamRqRetry: Counter;
  readonly upstreamRqActive: Gauge;
  readonly upstreamCxTotal: Counter;
  readonly upstreamCxActive: Gauge;
  readonly upstreamCxConnectFail: Counter;
  readonly upstreamCxConnectTimeout: Counter;
  readonly upstreamCxNoneHealthy: Counter;
  /** Requests refused by max_pending_requests or max_requests. */
  readonly upstreamRqPendingOverflow: Counter;
  /** Times max_connections stopped a new connection. */
  readonly upstreamCxOverflow: Counter;
  /** Retries refused by max_retries. */
  readonly upstreamRqRetryOverflow: Counter;
}

/** A connection from a pool: the socket plus the object that currently receives its events. */
export interface PooledConnection {
  readonly socket: Socket;
  readonly host: UpstreamHost;
  /** True when this connection already carried a request (a stale keep-alive may fail). */
  readonly reused: boolean;
  /** Set by the current user; the pool routes socket events to it. */
  handler: ConnectionHandler | undefined;
}

export interface ConnectionHandler {
  onData(data: Buffer): void;
  onDrain(): void;
  /** The socket closed or failed; `error` when it failed. */
  onClose(error: Error | undefined): void;
}

export interface PoolCallbacks {
  onPoolReady(connection: PooledConnection): void;
  /** `reason` is "connection timeout", "connection failure..." or OVERFLOW (a circuit breaker). */
  onPoolFailure(reason: string): void;
}

export interface UpstreamCluster {
  readonly name: string;
  readonly stats: ClusterStats;
  chooseHost(context: LoadBalancerContext): UpstreamHost | undefined;
  /** Hands a keep-alive HTTP/1.1 connection to `callbacks` (now or later). Returns a handle to cancel. */
  acquire(host: UpstreamHost, callbacks: PoolCallbacks): { cancel(): void };
  /** Gives a connection back: to the idle list when `reusable`, else it is closed. */
  release(connection: PooledConnection, reusable: boolean): void;
  /** A new, unpooled connection (for TCP proxying); fails like `acquire`. */
  connect(host: UpstreamHost, callbacks: PoolCallbacks): { cancel(): void };
  /** Takes a slot of max_retries for a retry; false (and counted) when none is left. The slot
   *  is given back with `retryDone`. */
  startRetry(): boolean;
  retryDone(): void;
  /** Tells outlier detection how a request to `host` ended: its HTTP status, or LOCAL_ORIGIN_FAILURE
   *  when no response came (connect failure, reset, timeout). */
  reportResult(host: UpstreamHost, status: number): void;
}

/** The pool failure reason of a request a circuit breaker refused. */
export const OVERFLOW = 'overflow';
/** reportResult's status for a failure with no response (connect failure, reset, timeout). */
export const LOCAL_ORIGIN_FAILURE = -1;

/** The proxy's clusters, as the filters see them. */
export interface ClusterManager {
  getCluster(name: string): UpstreamCluster | undefined;
}
