import {
  LOCAL_ORIGIN_FAILURE, NEGOTIATED_HTTP1, OVERFLOW, type ClusterManager, type LoadBalancerContext, type ConnectionHandler, type Http2RequestHead, type PoolCallbacks, type PooledConnection, type StreamCallbacks,
  type StreamResetReason, type UpstreamCluster, type UpstreamHost, type UpstreamProtocol, type UpstreamStream,
} from '../../cluster-manager.ts';
import type { Socket } from 'node:net';
import { BodyDecoder, type BodySink } from '../../http1/body-decoder.ts';
import { CRLFCRLF, HttpParseError, parseResponseHead, type ResponseHead } from '../../http1/http-head.ts';
import { getHeader, type HeaderList } from '../../http1/headers.ts';
import { statusText } from '../../http1/status-text.ts';
import { BODY_NONE, BODY_UNKNOWN, type HttpStream } from '../../http-stream.ts';
import { applyHeaderMutations, type HeaderMutations } from '../../network/http-connection-manager/header-mutations.ts';
import { pickWeighted, type ClusterAction, type RedirectAction } from '../../network/http-connection-manager/route-table.ts';
import type { FilterStatus, HttpFilter } from '../../registry.ts';
import { ResponseFlag } from '../../response-flags.ts';
import { requestHashKey } from './hash-key.ts';
import { http2RequestHead } from './http2-request-head.ts';
import { RequestMirror } from './request-mirror.ts';
import { backOffMs, retriableResponse, type RetryPolicy } from './retry-policy.ts';
import type { RouterConfig } from './router-config.ts';

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
/** Request body buffered while the upstream connection is being set up, before reading pauses. */
const MAX_PENDING_BODY = 1 << 20;

// Connection-level request and response fields: they describe one hop, never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'upgrade', 'content-length']);

/** The Location of a redirect route: the request URL with the parts the route replaces. */
function redirectLocation(action: RedirectAction, stream: HttpStream, prefix: string | undefined): string {
  const request = stream.request;
  const q = request.path.indexOf('?');
  let path = q === -1 ? request.path : request.path.slice(0, q);
  let query = q === -1 ? '' : request.path.slice(q);
  if (action.path !== undefined) {
    const pq = action.path.indexOf('?');
    path = pq === -1 ? action.path : action.path.slice(0, pq);
    if (pq !== -1) query = action.path.slice(pq);
  } else if (action.prefixRewrite !== undefined && prefix !== undefined) path = action.prefixRewrite + path.slice(prefix.length);
  if (action.stripQuery) query = '';
  let authority = action.host ?? stream.authority;
  if (action.port !== undefined) {
    const host = authority.replace(/:\d+$/, '');
    authority = action.port === 0 ? host : `${host}:${action.port}`;
  }
  return `${action.scheme ?? 'http'}://${authority}${path}${query}`;
}

function onTimeout(request: UpstreamRequest): void {
  request.onTimeout();
}

function onTryTimeout(request: UpstreamRequest): void {
  request.onTryTimeout();
}

function onBackOff(request: UpstreamRequest): void {
  request.startAttempt();
}

function onMaxDuration(request: UpstreamRequest): void {
  request.onMaxDuration();
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/** The Host of a mirrored request: "-shadow" after the host name, before any port. */
function shadowHost(authority: string): string {
  const m = /^(.*?)(:\d+)?$/.exec(authority) as RegExpExecArray;
  return `${m[1]}-shadow${m[2] ?? ''}`;
}

function rewritePath(path: string, action: ClusterAction, prefix: string | undefined): string {
  if (action.prefixRewrite !== undefined && prefix !== undefined) return action.prefixRewrite + path.slice(prefix.length);
  const rewrite = action.regexRewrite;
  if (rewrite === undefined) return path;
  const q = path.indexOf('?');
  const pathOnly = q === -1 ? path : path.slice(0, q);
  return pathOnly.replace(rewrite.pattern, rewrite.substitution) + (q === -1 ? '' : path.slice(q));
}

/** How each reset reason of an HTTP/2 stream is flagged and told, as Envoy words it. */
const STREAM_RESETS: Record<StreamResetReason, { flag: number; details: string }> = {
  'refused-stream': { flag: ResponseFlag.UR, details: 'upstream_reset_before_response_started{remote_refused_stream_reset}' },
  reset: { flag: ResponseFlag.UR, details: 'upstream_reset_before_response_started{remote_reset}' },
  'connection-termination': { flag: ResponseFlag.UC, details: 'upstream_reset_before_response_started{connection_termination}' },
  'protocol-error': { flag: ResponseFlag.UPE, details: 'upstream_reset_before_response_started{protocol_error}' },
};

/** The response of an HTTP/2 stream, as the fields the HTTP/1.1 path keeps of a response head. */
function http2Response(status: number, headers: HeaderList): ResponseHead {
  return { status, reason: statusText(status), headers, contentLength: -1, chunked: false, keepAlive: true, minorVersion: 1 };
}

/**
 * envoy.filters.http.router for one request: picks the cluster and host, then streams the
 * request up and the response down over one of two codecs: a pooled HTTP/1.1 connection
 * (given back for reuse at the end), or a stream on a multiplexed HTTP/2 session. Retries,
 * timeouts, outlier reports and response flags are the same for both.
 */
export class UpstreamRequest implements HttpFilter, PoolCallbacks, StreamCallbacks, ConnectionHandler, BodySink {
  private readonly config: RouterConfig;
  private readonly clusters: ClusterManager;
  private stream: HttpStream | undefined;
  private cluster: UpstreamCluster | undefined;
  private host: UpstreamHost | undefined;
  private connection: PooledConnection | undefined;
  private pendingCancel: { cancel(): void } | undefined;
  private head = '';
  private chunkedRequest = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private requestComplete = false;
  /** Whether this request asked the connection manager to stop reading the client. */
  private downstreamPaused = false;
  private responseBuffer: Buffer | undefined;
  private response: ResponseHead | undefined;
  private readonly decoder = new BodyDecoder();
  private upstreamKeepAlive = false;
  private timer: NodeJS.Timeout | undefined;
  private startTime = 0;
  private retried = false;
  private finished = false;
  private retry: RetryPolicy | undefined;
  private responseHeaders: HeaderMutations[] = [];
  private includeAttemptCount = false;
  /** 1 for the first try. */
  private attempt = 1;
  /** The whole request body so far, kept while a retry may need to send it again. */
  private retained: Buffer[] = [];
  private retainedBytes = 0;
  private readonly tried: UpstreamHost[] = [];
  private tryTimer: NodeJS.Timeout | undefined;
  private backOffTimer: NodeJS.Timeout | undefined;
  /** Holds one of the cluster's max_retries slots from its first retry on. */
  private retrySlot = false;
  private lbContext: LoadBalancerContext | undefined;
  private mirrors: RequestMirror[] = [];
  private durationTimer: NodeJS.Timeout | undefined;
  private timeoutMs = 0;
  private action: ClusterAction | undefined;
  private prefix: string | undefined;
  /** After an upgrade's 101: the downstream socket, tunnelled raw to the upstream one. */
  private tunnel: Socket | undefined;
  /** The codec of this request: HTTP/1.1 uses `connection` and `head`, HTTP/2 `upstreamStream`. */
  private protocol: UpstreamProtocol = 'HTTP/1.1';
  private upstreamStream: UpstreamStream | undefined;
  /** HTTP/2: the rewritten path and authority, and whether HEADERS carried END_STREAM. */
  private h2Path = '';
  private h2Authority = '';
  private h2HeadEnded = false;

  constructor(config: RouterConfig, clusters: ClusterManager) {
    this.config = config;
    this.clusters = clusters;
  }

  decodeHeaders(stream: HttpStream, endStream: boolean): FilterStatus {
    this.stream = stream;
    this.requestComplete = endStream;
    const route = stream.route;
    if (route === undefined) {
      stream.responseFlags |= ResponseFlag.NR;
      stream.responseCodeDetails = 'route_not_found';
      stream.sendLocalReply(404, '');
      return 'stop';
    }
    const action = route.action;
    if (action.kind === 'direct') {
      stream.sendLocalReply(action.status, action.body);
      return 'stop';
    }
    if (action.kind === 'redirect') {
      stream.sendLocalReply(action.status, '', ['location', redirectLocation(action, stream, route.prefix)]);
      return 'stop';
    }
    const weighted = pickWeighted(action, Math.random());
    const cluster = this.clusters.getCluster(weighted?.name ?? action.cluster);
    if (cluster === undefined) {
      stream.responseFlags |= ResponseFlag.NC;
      stream.responseCodeDetails = 'cluster_not_found';
      stream.sendLocalReply(action.clusterNotFoundStatus, '');
      return 'stop';
    }
    const connection = stream.connection;
    this.lbContext = action.hashPolicy.length === 0
      ? connection
      : { originalDstAddress: connection.originalDstAddress, originalDstPort: connection.originalDstPort, hashKey: requestHashKey(action.hashPolicy, stream) };
    const host = cluster.chooseHost(this.lbContext);
    stream.upstreamCluster = cluster.name;
    if (host === undefined) {
      cluster.stats.upstreamCxNoneHealthy.inc();
      stream.responseFlags |= ResponseFlag.UH;
      stream.responseCodeDetails = 'no_healthy_upstream';
      stream.sendLocalReply(503, 'no healthy upstream');
      return 'stop';
    }
    this.cluster = cluster;
    this.host = host;
    host.activeRequests++;
    this.tried.push(host);
    this.retry = action.retry;
    this.includeAttemptCount = route.host.includeAttemptCount;
    cluster.stats.upstreamRqTotal.inc();
    cluster.stats.upstreamRqActive.inc();
    // A weighted cluster's header changes are the most specific, so they come first.
    this.responseHeaders = weighted ? [weighted.responseHeaders, ...route.responseHeaders] : route.responseHeaders;
    const requestHeaders = weighted ? [weighted.requestHeaders, ...route.requestHeaders] : route.requestHeaders;
    if (requestHeaders.length > 0) applyHeaderMutations(stream.request.headers, requestHeaders);
    this.action = action;
    this.prefix = route.prefix;
    this.timeoutMs = action.timeoutMs;
    if (action.timeoutMs > 0) this.timer = setTimeout(onTimeout, action.timeoutMs, this);
    if (action.maxStreamDurationMs > 0) this.durationTimer = setTimeout(onMaxDuration, action.maxStreamDurationMs, this);
    for (const mirror of action.mirrors) this.startMirror(mirror.cluster, mirror.share, stream, endStream, action, route.prefix);
    this.connectAttempt(host);
    return 'stop';
  }

  private startMirror(name: string, share: number, stream: HttpStream, endStream: boolean, action: ClusterAction, prefix: string | undefined): void {
    const cluster = this.clusters.getCluster(name);
    if (cluster === undefined || Math.random() >= share) return;
    const host = cluster.chooseHost(stream.connection);
    if (host === undefined) {
      cluster.stats.upstreamCxNoneHealthy.inc();
      return;
    }
    const head = cluster.upstreamProtocol(stream.protocol, host) === 'HTTP/2'
      ? http2RequestHead(stream, rewritePath(stream.request.path, action, prefix), shadowHost(action.hostRewrite ?? stream.authority), cluster.scheme, [], endStream)
      : this.http1Head().replace(/^host: (.*)$/m, (_, authority: string) => `host: ${shadowHost(authority)}`);
    this.mirrors.push(new RequestMirror(cluster, host, head, this.chunkedRequest, endStream));
  }

  /** The HTTP/1.1 request head, made once, when a try or a mirror first needs it. */
  private http1Head(): string {
    if (this.head === '') this.head = this.requestHead(this.stream as HttpStream, this.action as ClusterAction, this.prefix);
    return this.head;
  }

  private connectAttempt(host: UpstreamHost): void {
    if (this.stream) this.stream.upstreamHost = host;
    this.startTime = performance.now();
    const perTry = this.retry?.perTryTimeoutMs ?? 0;
    if (perTry > 0) this.tryTimer = setTimeout(onTryTimeout, perTry, this);
    const cluster = this.cluster as UpstreamCluster;
    const stream = this.stream as HttpStream;
    // An upgrade (WebSocket) goes over HTTP/1.1: it needs the connection to itself.
    this.protocol = stream.upgrade === undefined ? cluster.upstreamProtocol(stream.protocol, host) : 'HTTP/1.1';
    if (this.protocol === 'HTTP/2') this.pendingCancel = cluster.openStream(host, this.http2Head(cluster), this);
    else {
      this.http1Head();
      this.pendingCancel = cluster.acquire(host, this);
    }
  }

  /** This try's HTTP/2 head; the body goes with it when it is all there (a retry's replay). */
  private http2Head(cluster: UpstreamCluster): Http2RequestHead {
    const stream = this.stream as HttpStream;
    const action = this.action as ClusterAction;
    if (this.h2Path === '') {
      this.h2Path = rewritePath(stream.request.path, action, this.prefix);
      this.h2Authority = action.hostRewrite ?? stream.authority;
    }
    const extra: HeaderList = [];
    if (!this.config.suppressEnvoyHeaders && this.timeoutMs > 0) extra.push('x-envoy-expected-rq-timeout-ms', String(this.timeoutMs));
    if (this.includeAttemptCount) extra.push('x-envoy-attempt-count', String(this.attempt));
    this.h2HeadEnded = this.requestComplete && this.pending.length === 0;
    return http2RequestHead(stream, this.h2Path, this.h2Authority, cluster.scheme, extra, this.h2HeadEnded);
  }

  /** Whether another try is allowed for a failure the policy covers (`covered`). */
  private mayRetry(covered: boolean): boolean {
    if (!covered || this.retry === undefined || this.finished) return false;
    if (this.attempt <= this.retry.numRetries && !this.retrySlot) this.retrySlot = (this.cluster as UpstreamCluster).startRetry();
    if (this.attempt <= this.retry.numRetries && this.retrySlot) return true;
    // A failure the policy covers, with no try left: Envoy's "retry limit exceeded".
    if (this.stream) this.stream.responseFlags |= ResponseFlag.URX;
    return false;
  }

  /** Feeds outlier detection with how the current try ended. */
  private report(status: number): void {
    if (this.cluster && this.host) this.cluster.reportResult(this.host, status);
  }

  /** Abandons this try (its connection is closed) and starts the next after a back-off. */
  private scheduleRetry(): void {
    const cluster = this.cluster as UpstreamCluster;
    clearTimeout(this.tryTimer);
    this.pendingCancel?.cancel();
    this.pendingCancel = undefined;
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      connection.handler = undefined;
      cluster.release(connection, false);
    }
    this.resetUpstreamStream();
    this.response = undefined;
    this.responseBuffer = undefined;
    this.attempt++;
    cluster.stats.upstreamRqRetry.inc();
    this.pending = this.retained.slice();
    this.pendingBytes = this.retainedBytes;
    this.backOffTimer = setTimeout(onBackOff, backOffMs(this.retry as RetryPolicy, this.attempt - 1, Math.random()), this);
  }

  /** Under previous_priorities, the priorities of the tries so far, counted in whole rounds of
   *  update_frequency tries, are left out of the next pick. */
  private retryContext(retry: RetryPolicy, context: LoadBalancerContext): LoadBalancerContext {
    const every = retry.previousPrioritiesEvery;
    if (every === 0) return context;
    const counted = this.tried.slice(0, Math.floor(this.tried.length / every) * every);
    if (counted.length === 0) return context;
    return { ...context, excludedPriorities: new Set(counted.map((h) => h.priority ?? 0)) };
  }

  /** The next try, on another host when the policy asks to avoid the previous ones. */
  startAttempt(): void {
    this.backOffTimer = undefined;
    if (this.finished || !this.stream) return;
    const cluster = this.cluster as UpstreamCluster;
    const retry = this.retry as RetryPolicy;
    const context = this.retryContext(retry, this.lbContext ?? this.stream.connection);
    let host = cluster.chooseHost(context);
    for (let i = 1; retry.avoidPreviousHosts && host !== undefined && this.tried.includes(host) && i < retry.hostSelectionAttempts; i++) {
      host = cluster.chooseHost(context);
    }
    if (host === undefined) {
      cluster.stats.upstreamCxNoneHealthy.inc();
      this.stream.responseFlags |= ResponseFlag.UH;
      this.stream.responseCodeDetails = 'no_healthy_upstream';
      this.localReply(503, 'no healthy upstream');
      return;
    }
    (this.host as UpstreamHost).activeRequests--;
    host.activeRequests++;
    this.host = host;
    this.tried.push(host);
    this.connectAttempt(host);
  }

  /** The request head without its last CRLF; the attempt count is added per try. */
  private requestHead(stream: HttpStream, action: ClusterAction, prefix: string | undefined): string {
    const request = stream.request;
    let head = `${request.method} ${rewritePath(request.path, action, prefix)} HTTP/1.1\r\n`;
    const headers = request.headers;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (HOP_BY_HOP.has(name)) continue;
      if (name === 'host' && action.hostRewrite !== undefined) continue;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (action.hostRewrite !== undefined) head += `host: ${action.hostRewrite}\r\n`;
    if (stream.upgrade !== undefined) head += `connection: upgrade\r\nupgrade: ${getHeader(headers, 'upgrade') ?? stream.upgrade}\r\n`;
    if (request.chunked) {
      head += 'transfer-encoding: chunked\r\n';
      this.chunkedRequest = true;
    } else if (request.contentLength >= 0) head += `content-length: ${request.contentLength}\r\n`;
    if (!this.config.suppressEnvoyHeaders && action.timeoutMs > 0) head += `x-envoy-expected-rq-timeout-ms: ${action.timeoutMs}\r\n`;
    return head;
  }

  decodeData(stream: HttpStream, data: Buffer, endStream: boolean): FilterStatus {
    if (this.finished) return 'stop';
    if (endStream) this.requestComplete = true;
    for (const mirror of this.mirrors) mirror.data(data, endStream);
    if (this.retry !== undefined && data.length > 0) {
      this.retained.push(data);
      this.retainedBytes += data.length;
      // Past the buffer limit the body cannot be replayed: no more retries, as in Envoy.
      if (this.retainedBytes > MAX_PENDING_BODY) {
        this.retry = undefined;
        this.retained = [];
      }
    }
    if (this.upstreamStream !== undefined) {
      if (!this.upstreamStream.write(data, endStream)) this.pauseDownstream(true);
      return 'stop';
    }
    if (this.connection === undefined) {
      if (data.length > 0) {
        this.pending.push(data);
        this.pendingBytes += data.length;
        if (this.pendingBytes > MAX_PENDING_BODY) this.pauseDownstream(true);
      }
      return 'stop';
    }
    this.writeBody(data, endStream);
    return 'stop';
  }

  private writeBody(data: Buffer, endStream: boolean): void {
    const socket = (this.connection as PooledConnection).socket;
    let ok = true;
    if (data.length > 0) {
      if (this.chunkedRequest) {
        // One writev for the chunk and its framing.
        socket.cork();
        socket.write(`${data.length.toString(16)}\r\n`, 'latin1');
        socket.write(data);
        ok = socket.write(CRLF);
        socket.uncork();
      } else ok = socket.write(data);
    }
    if (endStream && this.chunkedRequest) ok = socket.write(LAST_CHUNK);
    // Flow control: stop reading the client until the upstream socket drains.
    if (!ok) this.pauseDownstream(true);
  }

  onPoolReady(connection: PooledConnection): void {
    this.pendingCancel = undefined;
    if (this.finished) {
      this.cluster?.release(connection, true);
      return;
    }
    this.connection = connection;
    connection.handler = this;
    const socket = connection.socket;
    if (this.stream) this.stream.upstreamSocket = socket;
    const attempts = this.retried ? this.attempt + 1 : this.attempt;
    const head = this.includeAttemptCount ? `${this.head}x-envoy-attempt-count: ${attempts}\r\n\r\n` : `${this.head}\r\n`;
    const pending = this.pending;
    if (pending.length === 0 && this.requestComplete && !this.chunkedRequest) {
      // The common case, a request without a body: its head alone, in one plain write.
      socket.write(head, 'latin1');
    } else if (pending.length === 0 && !this.requestComplete) {
      // A body is to come, most often in the same read as the head: held until the end of
      // the tick, head and body leave in one write.
      socket.cork();
      socket.write(head, 'latin1');
      process.nextTick(uncork, socket);
    } else {
      socket.cork();
      socket.write(head, 'latin1');
      this.pending = [];
      this.pendingBytes = 0;
      for (const chunk of pending) this.writeBody(chunk, false);
      if (this.requestComplete) this.writeBody(EMPTY, true);
      socket.uncork();
    }
    this.pauseDownstream(false);
  }

  /** Stops or resumes reading the client (flow control); resuming is a no-op unless paused. */
  private pauseDownstream(pause: boolean): void {
    if (pause === this.downstreamPaused) return;
    this.downstreamPaused = pause;
    this.stream?.readDisable(pause);
  }

  onPoolFailure(reason: string): void {
    this.pendingCancel = undefined;
    if (reason === NEGOTIATED_HTTP1) {
      // Not a failure: the host speaks HTTP/1.1, and this try goes again that way.
      clearTimeout(this.tryTimer);
      if (!this.finished) this.connectAttempt(this.host as UpstreamHost);
      return;
    }
    if (reason === OVERFLOW) {
      // A circuit breaker refused the request: never retried, marked as Envoy marks it.
      this.flag(ResponseFlag.UO, 'upstream_reset_before_response_started{overflow}');
      this.localReply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`, ['x-envoy-overloaded', 'true']);
      return;
    }
    this.report(LOCAL_ORIGIN_FAILURE);
    if (this.stream) this.stream.upstreamTransportFailureReason = reason;
    if (this.mayRetry(this.retry?.onConnectFailure ?? false)) {
      this.scheduleRetry();
      return;
    }
    this.flag(ResponseFlag.UF, 'upstream_reset_before_response_started{connection_failure}');
    this.localReply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`);
  }

  onDrain(): void {
    this.pauseDownstream(false);
  }

  onDownstreamDrain(): void {
    this.connection?.socket.resume();
    this.upstreamStream?.readDisable(false);
  }

  // The HTTP/2 codec: a stream on a session, its events from the pool.

  onStreamReady(upstream: UpstreamStream): void {
    this.pendingCancel = undefined;
    if (this.finished) {
      upstream.reset();
      return;
    }
    this.upstreamStream = upstream;
    if (this.stream) this.stream.upstreamSocket = upstream.socket;
    let ok = true;
    if (!this.h2HeadEnded) {
      const pending = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      const last = pending.length - 1;
      for (let i = 0; i < last; i++) ok = upstream.write(pending[i], false);
      if (last >= 0) ok = upstream.write(pending[last], this.requestComplete);
      else if (this.requestComplete) ok = upstream.write(EMPTY, true);
    }
    this.pauseDownstream(!ok);
  }

  onStreamDrain(): void {
    this.pauseDownstream(false);
  }

  onResponseHeaders(status: number, headers: HeaderList, endStream: boolean): void {
    if (this.finished) return;
    if (!this.acceptResponse(status, headers)) return;
    const stream = this.stream as HttpStream;
    const head = http2Response(status, headers);
    this.response = head;
    const noBody = stream.request.method === 'HEAD' || status === 204 || status === 304;
    let bodyLength = BODY_UNKNOWN;
    if (noBody) bodyLength = BODY_NONE;
    // A response that ends with its head: an HTTP/2 client gets one HEADERS frame that ends the
    // stream (a gRPC trailers-only response must be one), an HTTP/1.1 client a zero length.
    else if (endStream) bodyLength = stream.protocol === 'HTTP/2' ? BODY_NONE : 0;
    else {
      const length = getHeader(headers, 'content-length');
      if (length !== undefined && /^\d+$/.test(length)) bodyLength = Number(length);
    }
    stream.encodeHeaders(status, head.reason, this.downstreamHeaders(headers, noBody), bodyLength);
    if (endStream) this.complete(true);
  }

  onResponseData(data: Buffer): void {
    if (this.finished || this.stream === undefined) return;
    if (!this.stream.encodeData(data)) this.upstreamStream?.readDisable(true);
  }

  onResponseTrailers(trailers: HeaderList): void {
    const stream = this.stream;
    if (this.finished || stream === undefined) return;
    this.upstreamStream = undefined;
    stream.encodeTrailers(trailers);
  }

  onResponseEnd(): void {
    if (!this.finished) this.complete(true);
  }

  onStreamReset(reason: StreamResetReason, detail: string): void {
    this.upstreamStream = undefined;
    if (this.finished) return;
    if (this.response === undefined) {
      this.report(LOCAL_ORIGIN_FAILURE);
      const covered = reason === 'refused-stream' ? this.retry?.onRefusedStream : this.retry?.onReset;
      if (this.mayRetry(covered ?? false)) {
        this.scheduleRetry();
        return;
      }
    }
    const how = STREAM_RESETS[reason];
    this.flag(how.flag, how.details);
    this.upstreamFailed(detail);
  }

  /** Cancels the HTTP/2 stream of this try, if one is open. */
  private resetUpstreamStream(): void {
    const upstream = this.upstreamStream;
    this.upstreamStream = undefined;
    upstream?.reset();
  }

  onData(data: Buffer): void {
    if (this.tunnel !== undefined) {
      (this.stream as HttpStream).bytesSent += data.length;
      if (!this.tunnel.write(data)) this.connection?.socket.pause();
      return;
    }
    if (this.finished) return;
    try {
      if (this.response === undefined) this.parseHead(data);
      else this.consumeBody(data, 0);
    } catch (err) {
      const message = err instanceof HttpParseError ? err.message : String(err);
      if (this.response === undefined) this.report(LOCAL_ORIGIN_FAILURE);
      if (this.response === undefined && this.mayRetry(this.retry?.onReset ?? false)) this.scheduleRetry();
      else {
        this.flag(ResponseFlag.UPE, 'upstream_reset_before_response_started{protocol_error}');
        this.upstreamFailed(`protocol error: ${message}`);
      }
    }
  }

  /** Accumulates and parses the response head, then hands on whatever body followed it. */
  private parseHead(data: Buffer): void {
    let buffer = this.responseBuffer === undefined ? data : Buffer.concat([this.responseBuffer, data]);
    for (;;) {
      const end = buffer.indexOf(CRLFCRLF);
      if (end === -1) {
        if (buffer.length > 65536) throw new HttpParseError(502, 'response headers too large');
        this.responseBuffer = buffer;
        return;
      }
      const head = parseResponseHead(buffer, 0, end);
      buffer = buffer.subarray(end + 4);
      // Interim responses (100 Continue) end at their head; the final response follows.
      if (head.status >= 100 && head.status < 200 && head.status !== 101) continue;
      this.responseBuffer = undefined;
      if (head.status === 101 && this.stream?.upgrade !== undefined) {
        this.startTunnel(head, buffer);
        return;
      }
      this.onResponseHead(head);
      if (buffer.length > 0 && this.response !== undefined) this.consumeBody(buffer, 0);
      return;
    }
  }

  /** A final response head arrived: false when a retry was scheduled for it instead. */
  private acceptResponse(status: number, headers: HeaderList): boolean {
    this.report(status);
    if (this.retry !== undefined && this.mayRetry(retriableResponse(this.retry, status, headers))) {
      this.scheduleRetry();
      return false;
    }
    clearTimeout(this.tryTimer);
    (this.stream as HttpStream).responseCodeDetails = 'via_upstream';
    (this.cluster as UpstreamCluster).stats.upstreamRqClass[(status / 100) | 0]?.inc();
    return true;
  }

  /** The response fields sent downstream: hop-by-hop ones out, the route's changes in. */
  private downstreamHeaders(src: HeaderList, noBody: boolean): HeaderList {
    const headers: HeaderList = [];
    for (let i = 0; i < src.length; i += 2) {
      const name = src[i];
      if (HOP_BY_HOP.has(name) && !(noBody && name === 'content-length')) continue;
      headers.push(name, src[i + 1]);
    }
    if (this.responseHeaders.length > 0) applyHeaderMutations(headers, this.responseHeaders);
    if (!this.config.suppressEnvoyHeaders) headers.push('x-envoy-upstream-service-time', String(Math.round(performance.now() - this.startTime)));
    return headers;
  }

  private onResponseHead(head: ResponseHead): void {
    const stream = this.stream as HttpStream;
    if (!this.acceptResponse(head.status, head.headers)) return;
    this.response = head;
    const noBody = stream.request.method === 'HEAD' || head.status === 204 || head.status === 304;
    const headers = this.downstreamHeaders(head.headers, noBody);
    let bodyLength: number;
    if (noBody) {
      this.decoder.start(0, false, false, 502);
      bodyLength = BODY_NONE;
    } else {
      this.decoder.start(head.contentLength, head.chunked, true, 502);
      bodyLength = head.chunked || head.contentLength < 0 ? BODY_UNKNOWN : head.contentLength;
    }
    this.upstreamKeepAlive = head.keepAlive && !this.decoder.untilClose;
    stream.encodeHeaders(head.status, head.reason, headers, bodyLength);
    if (this.decoder.done) this.complete(true);
  }

  private consumeBody(data: Buffer, offset: number): void {
    const used = this.decoder.consume(data, offset, data.length, this);
    if (this.decoder.done && !this.finished) this.complete(used === data.length - offset);
  }

  /** The upstream accepted the upgrade: the 101 goes down, then bytes flow raw both ways until
   *  either side closes. */
  private startTunnel(head: ResponseHead, rest: Buffer): void {
    const stream = this.stream as HttpStream;
    clearTimeout(this.timer);
    clearTimeout(this.tryTimer);
    clearTimeout(this.durationTimer);
    this.report(101);
    this.response = head;
    const headers: HeaderList = [];
    for (let i = 0; i < head.headers.length; i += 2) {
      if (!HOP_BY_HOP.has(head.headers[i])) headers.push(head.headers[i], head.headers[i + 1]);
    }
    headers.push('connection', 'upgrade', 'upgrade', getHeader(head.headers, 'upgrade') ?? stream.upgrade ?? '');
    stream.encodeHeaders(101, head.reason, headers, BODY_NONE);
    const { socket, buffered } = stream.takeOverSocket();
    const upstream = (this.connection as PooledConnection).socket;
    this.tunnel = socket;
    if (buffered) {
      stream.bytesReceived += buffered.length;
      upstream.write(buffered);
    }
    if (rest.length > 0) {
      stream.bytesSent += rest.length;
      socket.write(rest);
    }
    socket.on('data', (data: Buffer) => {
      stream.bytesReceived += data.length;
      if (!upstream.write(data)) socket.pause();
    });
    upstream.on('drain', () => socket.resume());
    socket.on('drain', () => upstream.resume());
    socket.on('close', () => this.endTunnel());
    socket.on('end', () => upstream.end());
  }

  private endTunnel(): void {
    const socket = this.tunnel;
    if (socket === undefined) return;
    this.tunnel = undefined;
    socket.destroy();
    const stream = this.stream;
    this.onDestroy();
    // The stream left its connection at the 101; ending it now writes its access log line,
    // with the bytes of the whole tunnel. Both sockets are closed already.
    stream?.reset();
  }

  onBodyData(data: Buffer): void {
    if (this.stream && !this.stream.encodeData(data)) this.connection?.socket.pause();
  }

  onClose(error: Error | undefined): void {
    if (this.tunnel !== undefined) {
      this.connection = undefined;
      this.endTunnel();
      return;
    }
    const connection = this.connection;
    this.connection = undefined;
    if (this.finished || connection === undefined) return;
    if (this.response !== undefined && this.decoder.untilClose) {
      this.complete(false);
      return;
    }
    // A kept-alive connection the server closed just as we reused it: try once more on a fresh one.
    if (this.response === undefined && connection.reused && !this.retried && this.pending.length === 0 && this.requestBodyless()) {
      this.retried = true;
      this.pendingCancel = (this.cluster as UpstreamCluster).acquire(this.host as UpstreamHost, this);
      return;
    }
    if (this.response === undefined) this.report(LOCAL_ORIGIN_FAILURE);
    if (this.response === undefined && this.mayRetry(this.retry?.onReset ?? false)) {
      this.scheduleRetry();
      return;
    }
    this.flag(ResponseFlag.UC, 'upstream_reset_before_response_started{connection_termination}');
    this.upstreamFailed(error ? `connection failure: ${error.message}` : 'connection termination');
  }

  private requestBodyless(): boolean {
    const request = (this.stream as HttpStream).request;
    return !request.chunked && request.contentLength <= 0;
  }

  private upstreamFailed(reason: string): void {
    this.localReply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`);
  }

  /** A try took longer than per_try_timeout: retried as a reset, else 504 as Envoy does. */
  onTryTimeout(): void {
    this.tryTimer = undefined;
    if (this.response !== undefined || this.finished) return;
    this.cluster?.stats.upstreamRqPerTryTimeout.inc();
    this.report(LOCAL_ORIGIN_FAILURE);
    if (this.mayRetry(this.retry?.onReset ?? false)) this.scheduleRetry();
    else {
      this.flag(ResponseFlag.UT, 'upstream_per_try_timeout');
      this.localReply(504, 'upstream request timeout');
    }
  }

  /** max_stream_duration passed: 408 as Envoy answers, or a reset once the response started. */
  onMaxDuration(): void {
    this.durationTimer = undefined;
    this.flag(ResponseFlag.DT, 'max_duration_timeout');
    this.localReply(408, 'downstream duration timeout');
  }

  onTimeout(): void {
    this.timer = undefined;
    this.cluster?.stats.upstreamRqTimeout.inc();
    if (this.response === undefined && (this.connection !== undefined || this.upstreamStream !== undefined)) this.report(LOCAL_ORIGIN_FAILURE);
    this.flag(ResponseFlag.UT, 'upstream_response_timeout');
    this.localReply(504, 'upstream request timeout');
  }

  /** Records why the exchange ends (response flag and details), unless it already ended. */
  private flag(flag: number, details: string): void {
    const stream = this.stream;
    if (stream === undefined || this.finished) return;
    stream.responseFlags |= flag;
    if (!stream.responseStarted) stream.responseCodeDetails = details;
  }

  /** Ends the exchange with a reply from the proxy, or a reset when the response already started. */
  private localReply(status: number, body: string, headers: HeaderList = []): void {
    const stream = this.stream;
    if (this.finished || stream === undefined) return;
    if (stream.responseStarted) stream.reset();
    else stream.sendLocalReply(status, body, headers);
  }

  private complete(connectionClean: boolean): void {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      connection.handler = undefined;
      connection.socket.resume();
      const reusable = connectionClean && this.upstreamKeepAlive && this.requestComplete && this.pending.length === 0;
      (this.cluster as UpstreamCluster).release(connection, reusable);
    }
    // An HTTP/2 response may end before the request body does: the rest is not wanted.
    if (!this.requestComplete) this.resetUpstreamStream();
    this.upstreamStream = undefined;
    // A chunked HTTP/1.1 response may end with trailers (gRPC-Web, or a gRPC status relayed).
    const trailers = this.decoder.trailers;
    if (trailers !== undefined && trailers.length > 0) this.stream?.encodeTrailers(trailers);
    else this.stream?.encodeEnd();
  }

  onDestroy(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    clearTimeout(this.durationTimer);
    clearTimeout(this.tryTimer);
    // A mirror with its whole request keeps going; one cut short is dropped.
    if (!this.requestComplete) for (const mirror of this.mirrors) mirror.abandon();
    this.mirrors = [];
    clearTimeout(this.backOffTimer);
    this.pendingCancel?.cancel();
    this.pendingCancel = undefined;
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      connection.handler = undefined;
      (this.cluster as UpstreamCluster).release(connection, false);
    }
    this.resetUpstreamStream();
    if (this.cluster && this.host) {
      this.host.activeRequests--;
      this.cluster.stats.upstreamRqActive.dec();
    }
    if (this.retrySlot) this.cluster?.retryDone();
    this.stream = undefined;
  }
}
