import type { Socket } from 'node:net';
import type { HeaderList } from './http1/headers.ts';
import type { HttpProtocol } from './http-stream.ts';
import type { Counter, Gauge } from './stats.ts';

/** One endpoint of a cluster. `activeRequests` feeds least-request balancing. */
export interface UpstreamHost {
  readonly address: string;
  readonly port: number;
  activeRequests: number;
  /** The priority of its locality (0, the default, is the best). */
  readonly priority?: number;
}

/** What a load balancer may look at when picking a host. */
export interface LoadBalancerContext {
  /** The downstream connection's original destination (ORIGINAL_DST clusters use it). */
  readonly originalDstAddress: string;
  readonly originalDstPort: number;
  /** The route's hash_policy result, for RING_HASH and MAGLEV clusters. */
  readonly hashKey?: number;
  /** Priorities a retry should avoid (retry_priority previous_priorities): the best priority
   *  not among them takes the pick; when every priority is excluded, none is. */
  readonly excludedPriorities?: ReadonlySet<number>;
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
  readonly upstreamCxHttp1Total: Counter;
  readonly upstreamCxHttp2Total: Counter;
  /** Connections closed for having been idle for the idle_timeout. */
  readonly upstreamCxIdleTimeout: Counter;
  /** Connections retired by max_requests_per_connection. */
  readonly upstreamCxMaxRequests: Counter;
  /** Connections the upstream asked to close (an HTTP/2 GOAWAY). */
  readonly upstreamCxCloseNotify: Counter;
  /** Requests the upstream reset (RST_STREAM), and requests this side reset. */
  readonly upstreamRqRxReset: Counter;
  readonly upstreamRqTxReset: Counter;
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

/** The protocol a request travels upstream in. */
export type UpstreamProtocol = 'HTTP/1.1' | 'HTTP/2';

/** An HTTP/2 request head: the pseudo-headers apart, the other fields without hop-by-hop ones. */
export interface Http2RequestHead {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly scheme: string;
  readonly headers: HeaderList;
  /** The request has no body: HEADERS carries END_STREAM. */
  readonly endStream: boolean;
}

/** Why an HTTP/2 stream ended without a whole response. `refused-stream`: the upstream never
 *  processed it (REFUSED_STREAM, or past a GOAWAY's last stream), so it is safe to send again. */
export type StreamResetReason = 'refused-stream' | 'reset' | 'connection-termination' | 'protocol-error';

/** An open HTTP/2 stream to an upstream, as the router drives it. */
export interface UpstreamStream {
  /** The session's connection (for %UPSTREAM_LOCAL_ADDRESS%). */
  readonly socket: Socket;
  /** Sends request body; false when the stream's buffer is full (then onStreamDrain follows). */
  write(data: Buffer, endStream: boolean): boolean;
  /** Stops (true) or resumes (false) reading the response; HTTP/2 flow control tells the upstream. */
  readDisable(disable: boolean): void;
  /** Cancels the stream (RST_STREAM CANCEL); no callback follows. */
  reset(): void;
}

/** What an HTTP/2 stream tells its user. Exactly one of onResponseEnd, onResponseTrailers,
 *  onStreamReset and onPoolFailure ends it. */
export interface StreamCallbacks {
  onStreamReady(stream: UpstreamStream): void;
  /** No stream could be opened; reasons as PoolCallbacks.onPoolFailure. */
  onPoolFailure(reason: string): void;
  /** The final response head (1xx heads are not passed on); `endStream` when it has no body. */
  onResponseHeaders(status: number, headers: HeaderList, endStream: boolean): void;
  onResponseData(data: Buffer): void;
  onResponseTrailers(trailers: HeaderList): void;
  onResponseEnd(): void;
  onStreamDrain(): void;
  onStreamReset(reason: StreamResetReason, detail: string): void;
}

export interface UpstreamCluster {
  readonly name: string;
  readonly stats: ClusterStats;
  /** The protocol of a request to `host` from a client speaking `downstream`
   *  (use_downstream_protocol_config follows the client; auto_config over TLS what the host's
   *  ALPN chose, HTTP/2 until it is known; explicit config neither). */
  upstreamProtocol(downstream: HttpProtocol, host: UpstreamHost): UpstreamProtocol;
  /** Opens an HTTP/2 stream to `host` (now, or once a session has room). Returns a handle that
   *  cancels the wait; once onStreamReady ran, the stream's own reset() ends it. */
  openStream(host: UpstreamHost, head: Http2RequestHead, callbacks: StreamCallbacks): { cancel(): void };
  /** The scheme of requests to this cluster: https over TLS. */
  readonly scheme: 'http' | 'https';
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

/** The pool failure reason of an HTTP/2 stream whose host chose HTTP/1.1 by ALPN (auto_config):
 *  the request goes again over HTTP/1.1, as upstreamProtocol now says. */
export const NEGOTIATED_HTTP1 = 'negotiated http/1.1';
/** The pool failure reason of a request a circuit breaker refused. */
export const OVERFLOW = 'overflow';
/** reportResult's status for a failure with no response (connect failure, reset, timeout). */
export const LOCAL_ORIGIN_FAILURE = -1;

/** The proxy's clusters, as the filters see them. */
export interface ClusterManager {
  getCluster(name: string): UpstreamCluster | undefined;
}
