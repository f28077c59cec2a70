import { randomUUID } from 'node:crypto';
import { writeAccessLogs } from '../../access-log/access-log-config.ts';
import { StreamRecord } from '../../access-log/stream-info.ts';
import type { Socket } from 'node:net';
import { getHeader, hasToken, removeHeader, setHeader, type HeaderList } from '../../http1/headers.ts';
import type { RequestHead } from '../../http1/http-head.ts';
import { statusText } from '../../http1/status-text.ts';
import { BODY_NONE, type HttpProtocol, type HttpStream } from '../../http-stream.ts';
import { normalizeRequestPath, type PathVerdict } from '../../path-normalization.ts';
import type { DownstreamConnection, HttpFilter } from '../../registry.ts';
import type { ConnectionManagerConfig } from './connection-manager-config.ts';
import { findRoute, type RouteEntry } from './route-table.ts';
import { ResponseFlag } from '../../response-flags.ts';

// Timer callbacks take the stream as their argument, so arming one allocates no closure.
function streamIdleExpired(stream: ActiveStream): void {
  stream.onStreamTimeout('idle');
}
function requestTimeoutExpired(stream: ActiveStream): void {
  stream.onStreamTimeout('request');
}

/**
 * What an active stream needs from the codec that carries it: one implementation per codec
 * (the HTTP/1.1 connection itself; one per HTTP/2 stream). The stream decides what a response
 * is; its owner decides how it looks on the wire.
 */
export interface StreamOwner {
  readonly connection: DownstreamConnection;
  readonly protocol: HttpProtocol;
  /** Answers `Expect: 100-continue`. */
  sendContinue(): void;
  /** Starts the response. `bodyLength` as in HttpStream.encodeHeaders; with `bodyAllowed`
   *  false (HEAD, 204, 304, BODY_NONE) no body follows. Headers carry no connection-level fields. */
  encodeHeaders(status: number, reason: string, headers: HeaderList, bodyLength: number, bodyAllowed: boolean): void;
  /** Returns false when the downstream buffer is full. */
  encodeData(data: Buffer): boolean;
  /** Ends the response, with trailers when there are any. */
  encodeEnd(trailers: HeaderList | undefined): void;
  onResponseComplete(stream: ActiveStream): void;
  readDisable(disable: boolean): void;
  /** Aborts the stream mid-way (HTTP/1.1: closes the connection; HTTP/2: resets the stream). */
  resetStream(): void;
  /** Hands the socket over (an upgrade): the connection stops reading HTTP from it. */
  detach(): { socket: Socket; buffered: Buffer | undefined };
}

/** One request/response exchange, on an HTTP/1.1 connection or an HTTP/2 stream, driven through the HTTP filters. */
export class ActiveStream extends StreamRecord implements HttpStream {
  readonly request: RequestHead;
  readonly authority: string;
  readonly route: RouteEntry | undefined;
  readonly upgrade: string | undefined;
  /** An upgrade the route does not allow: answered 403, as Envoy does. */
  private readonly upgradeRefused: boolean;
  /** A path normalization that answers instead of forwarding (400, or a redirect). */
  private readonly pathVerdict: PathVerdict | undefined;
  // The StreamInfo fields for access logs are StreamRecord's; times are taken only when a log is configured.
  responseHeaders: HeaderList | undefined = undefined;
  responseStarted = false;
  responseComplete = false;
  requestComplete = false;
  private readonly owner: StreamOwner;
  private readonly config: ConnectionManagerConfig;
  private readonly filters: HttpFilter[];
  private bodyAllowed = true;
  private destroyed = false;
  /** Index of the filter that stopped header iteration; body data goes up to it. */
  private stoppedAt = -1;
  private headersEndStream = false;
  /** Body that went past a stopped filter before the filters after it saw the headers. */
  private held: { data: Buffer; endStream: boolean }[] = [];
  /** stream_idle_timeout (refreshed by activity either way) and request_timeout, when configured. */
  private idleTimer: NodeJS.Timeout | undefined = undefined;
  private requestTimer: NodeJS.Timeout | undefined = undefined;

  constructor(owner: StreamOwner, config: ConnectionManagerConfig, request: RequestHead) {
    super();
    this.owner = owner;
    this.config = config;
    this.request = request;
    this.authority = ActiveStream.takeAbsoluteForm(request) ?? getHeader(request.headers, 'host') ?? '';
    // Once, before routing and every filter: what they all see is what goes upstream.
    if (config.pathNormalization !== undefined) {
      const verdict = normalizeRequestPath(request.path, config.pathNormalization);
      if (verdict.kind !== 'reject') request.path = verdict.path;
      this.pathVerdict = verdict.kind === 'forward' ? undefined : verdict;
    }
    const table = config.routes.current;
    this.route = table ? findRoute(table, { method: request.method, path: request.path, authority: this.authority, headers: request.headers, tls: 'encrypted' in this.owner.connection.socket }) : undefined;
    if (!this.route) config.stats.noRoute.inc();
    const upgrade = ActiveStream.requestedUpgrade(request.headers);
    const action = this.route?.action;
    const allowed = upgrade !== undefined && action?.kind === 'cluster' && (action.upgrades.get(upgrade) ?? config.upgrades.has(upgrade));
    this.upgrade = allowed ? upgrade : undefined;
    this.upgradeRefused = upgrade !== undefined && !allowed && action?.kind === 'cluster';
    this.filters = config.filters.map((f) => f.createFilter());
    this.prepareRequestHeaders();
    if (config.streamIdleTimeoutMs > 0) this.idleTimer = setTimeout(streamIdleExpired, config.streamIdleTimeoutMs, this);
    if (config.requestTimeoutMs > 0) this.requestTimer = setTimeout(requestTimeoutExpired, config.requestTimeoutMs, this);
  }

  /** A stream idle for stream_idle_timeout, or a request not received within request_timeout:
   *  408 as Envoy answers, or a reset once the response started. */
  onStreamTimeout(kind: 'idle' | 'request'): void {
    if (this.destroyed) return;
    const stats = this.config.stats;
    if (kind === 'idle') {
      this.idleTimer = undefined;
      stats.rqIdleTimeout.inc();
      this.responseFlags |= ResponseFlag.SI;
    } else {
      this.requestTimer = undefined;
      stats.rqOverallTimeout.inc();
    }
    if (this.responseStarted) {
      this.reset();
      return;
    }
    this.responseCodeDetails = kind === 'idle' ? 'stream_idle_timeout' : 'request_overall_timeout';
    this.sendLocalReply(408, kind === 'idle' ? 'stream timeout' : 'request timeout');
  }

  private requestReceived(): void {
    this.requestComplete = true;
    if (this.requestTimer !== undefined) {
      clearTimeout(this.requestTimer);
      this.requestTimer = undefined;
    }
  }

  /** A proxy-style target ("GET http://host/path") becomes origin form, its host the authority. */
  private static takeAbsoluteForm(request: RequestHead): string | undefined {
    const path = request.path;
    if (path.charCodeAt(0) === 0x2f || !/^https?:\/\//i.test(path)) return undefined;
    const start = path.indexOf('//') + 2;
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    const authority = path.slice(start, end);
    request.path = end === path.length ? '/' : path.slice(end);
    setHeader(request.headers, 'host', authority);
    return authority;
  }

  /** The upgrade a request asks for: an Upgrade header and "upgrade" among its Connection tokens. */
  private static requestedUpgrade(headers: HeaderList): string | undefined {
    const upgrade = getHeader(headers, 'upgrade');
    const connection = getHeader(headers, 'connection');
    // An h2c upgrade is dropped (the request goes on as HTTP/1.1), as Envoy does.
    if (upgrade === undefined || !hasToken(connection, 'upgrade')) return undefined;
    const name = upgrade.toLowerCase();
    return name === 'h2c' ? undefined : name;
  }

  takeOverSocket(): { socket: Socket; buffered: Buffer | undefined } {
    this.responseComplete = true;
    return this.owner.detach();
  }

  get connection(): DownstreamConnection {
    return this.owner.connection;
  }

  get protocol(): HttpProtocol {
    return this.owner.protocol;
  }

  get routeName(): string | undefined {
    return this.route?.name || undefined;
  }

  private prepareRequestHeaders(): void {
    const headers = this.request.headers;
    // As Envoy does by default: answer "100 Continue" here instead of passing the expectation on.
    const expect = getHeader(headers, 'expect');
    if (expect !== undefined && expect.toLowerCase() === '100-continue') {
      removeHeader(headers, 'expect');
      this.owner.sendContinue();
    }
    if (this.config.generateRequestId && getHeader(headers, 'x-request-id') === undefined) headers.push('x-request-id', randomUUID());
    // A TLS socket (the filter chain terminated TLS) says so with `encrypted`.
    if (getHeader(headers, 'x-forwarded-proto') === undefined) headers.push('x-forwarded-proto', 'encrypted' in this.owner.connection.socket ? 'https' : 'http');
    if (this.config.useRemoteAddress) {
      const remote = this.owner.connection.socket.remoteAddress ?? '';
      const xff = getHeader(headers, 'x-forwarded-for');
      setHeader(headers, 'x-forwarded-for', xff ? `${xff},${remote}` : remote);
    }
  }

  decodeHeaders(endStream: boolean): void {
    this.headersEndStream = endStream;
    if (endStream) {
      this.requestReceived();
      if (this.config.accessLogs.length !== 0) this.requestEndTime = performance.now();
    }
    if (this.upgradeRefused) {
      this.sendLocalReply(403, '');
      return;
    }
    if (this.pathVerdict !== undefined) {
      this.responseCodeDetails = 'path_normalization_failed';
      if (this.pathVerdict.kind === 'redirect') this.sendLocalReply(307, '', ['location', this.pathVerdict.path]);
      else this.sendLocalReply(400, 'Bad Request');
      return;
    }
    this.decodeHeadersFrom(0);
  }

  private decodeHeadersFrom(first: number): void {
    for (let i = first; i < this.filters.length && !this.destroyed; i++) {
      if (this.filters[i].decodeHeaders(this, this.headersEndStream) === 'stop') {
        this.stoppedAt = i;
        return;
      }
    }
  }

  decodeData(data: Buffer, endStream: boolean): void {
    this.bytesReceived += data.length;
    this.idleTimer?.refresh();
    if (endStream) {
      this.requestReceived();
      if (this.config.accessLogs.length !== 0) this.requestEndTime = performance.now();
    }
    this.decodeDataFrom(0, data, endStream);
  }

  private decodeDataFrom(first: number, data: Buffer, endStream: boolean): void {
    const last = this.stoppedAt === -1 ? this.filters.length - 1 : this.stoppedAt;
    for (let i = first; i <= last && !this.destroyed; i++) {
      if (this.filters[i].decodeData(this, data, endStream) === 'stop') return;
    }
    if (last < this.filters.length - 1) this.held.push({ data, endStream });
  }

  continueDecoding(): void {
    if (this.destroyed || this.stoppedAt === -1) return;
    const next = this.stoppedAt + 1;
    this.stoppedAt = -1;
    this.decodeHeadersFrom(next);
    const held = this.held;
    this.held = [];
    for (const { data, endStream } of held) this.decodeDataFrom(next, data, endStream);
  }

  onDownstreamDrain(): void {
    for (const f of this.filters) f.onDownstreamDrain(this);
  }

  sendLocalReply(status: number, body: string, extra: HeaderList = []): void {
    if (this.responseStarted) {
      this.reset();
      return;
    }
    const length = Buffer.byteLength(body);
    const headers: HeaderList = length > 0 ? ['content-type', 'text/plain', ...extra] : extra;
    this.encodeHeaders(status, statusText(status), headers, length);
    if (length > 0) this.encodeData(Buffer.from(body));
    this.encodeEnd();
  }

  encodeHeaders(status: number, reason: string, headers: HeaderList, bodyLength: number): void {
    this.responseStarted = true;
    this.idleTimer?.refresh();
    for (const f of this.filters) f.encodeHeaders?.(this, status, headers);
    this.responseCode = status;
    this.responseHeaders = headers;
    if (this.config.accessLogs.length !== 0) this.responseStartTime = performance.now();
    this.bodyAllowed = this.request.method !== 'HEAD' && status !== 204 && status !== 304 && bodyLength !== BODY_NONE;
    this.config.stats.rqClass[(status / 100) | 0]?.inc();
    this.owner.encodeHeaders(status, reason, headers, bodyLength, this.bodyAllowed);
  }

  encodeData(data: Buffer): boolean {
    if (!this.bodyAllowed || data.length === 0) return true;
    this.bytesSent += data.length;
    this.idleTimer?.refresh();
    return this.owner.encodeData(data);
  }

  encodeEnd(): void {
    this.end(undefined);
  }

  encodeTrailers(trailers: HeaderList): void {
    this.end(trailers.length === 0 || !this.bodyAllowed ? undefined : trailers);
  }

  private end(trailers: HeaderList | undefined): void {
    if (this.responseComplete) return;
    this.owner.encodeEnd(trailers);
    this.responseComplete = true;
    this.destroy();
    this.owner.onResponseComplete(this);
  }

  readDisable(disable: boolean): void {
    if (!this.destroyed) this.owner.readDisable(disable);
  }

  reset(): void {
    this.destroy();
    this.owner.resetStream();
  }

  /** Tells every filter the stream is over; safe to call more than once. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    if (this.requestTimer !== undefined) clearTimeout(this.requestTimer);
    for (const f of this.filters) f.onDestroy(this);
    const logs = this.config.accessLogs;
    if (logs.length !== 0) {
      this.endTime = performance.now();
      writeAccessLogs(logs, this);
    }
  }
}
