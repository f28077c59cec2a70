import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import type { ClusterStats, ConnectionHandler, HeaderList, Http2RequestHead, StreamCallbacks, StreamResetReason, UpstreamStream } from '@mizzen/filters';
import type { Http2Settings, HttpProtocolOptions } from './http-protocol-options.ts';
import { UpstreamConnection, type ConnectOptions } from './upstream-connection.ts';
import type { Host } from './upstream-host.ts';

// node:http2 is loaded on first use: a proxy with only HTTP/1.1 clusters never pays for it.
let http2Module: typeof import('node:http2') | undefined;
function http2(): typeof import('node:http2') {
  http2Module ??= process.getBuiltinModule('node:http2');
  return http2Module;
}

const NGHTTP2_REFUSED_STREAM = 7;
const NGHTTP2_CANCEL = 8;
const END_STREAM = 0x1;

/** What a session tells its pool. */
export interface Http2ClientEvents {
  /** The session is up and knows the peer's settings: it can take `capacity` streams. */
  onReady(client: Http2Client): void;
  /** The connection could not be made; pending streams fail with `reason`. */
  onConnectFailure(client: Http2Client, reason: string): void;
  /** auto_config: the host's ALPN chose HTTP/1.1; the session closes without a stream. */
  onNegotiatedHttp1(client: Http2Client): void;
  /** A stream ended, or the peer's settings changed: the session may have room again. */
  onStreamClosed(client: Http2Client): void;
  /** The session is gone (closed, failed, or drained after a GOAWAY). */
  onClosed(client: Http2Client): void;
}

/** Response header block (node's object form) as the flat list the filters use, pseudo-headers left out. */
function headerList(headers: IncomingHttpHeaders): HeaderList {
  const list: HeaderList = [];
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a) continue;
    const value = headers[name];
    if (Array.isArray(value)) for (const v of value) list.push(name, v);
    else if (value !== undefined) list.push(name, value);
  }
  return list;
}

/** A request head in node's object form: repeated fields joined as HTTP/2 allows. */
function outgoingHeaders(head: Http2RequestHead): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': head.method, ':path': head.path, ':authority': head.authority, ':scheme': head.scheme };
  const headers = head.headers;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const previous = out[name];
    if (previous === undefined) out[name] = headers[i + 1];
    else if (name === 'cookie') out[name] = `${String(previous)}; ${headers[i + 1]}`;
    else out[name] = Array.isArray(previous) ? [...previous, headers[i + 1]] : [String(previous), headers[i + 1]];
  }
  return out;
}

/** One request stream on a session: node's stream events turned into the router's callbacks. */
const OWNER = Symbol('upstream stream');
type OwnedStream = ClientHttp2Stream & { [OWNER]: Http2UpstreamStream };

function owner(stream: ClientHttp2Stream): Http2UpstreamStream {
  return (stream as OwnedStream)[OWNER];
}

function onResponse(this: ClientHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
  owner(this).onResponse(headers, flags);
}

function onData(this: ClientHttp2Stream, data: Buffer): void {
  owner(this).onData(data);
}

function onTrailers(this: ClientHttp2Stream, trailers: IncomingHttpHeaders): void {
  owner(this).onTrailers(trailers);
}

function onEnd(this: ClientHttp2Stream): void {
  owner(this).onEnd();
}

function onDrain(this: ClientHttp2Stream): void {
  owner(this).onDrain();
}

function onError(this: ClientHttp2Stream, err: Error): void {
  owner(this).onError(err);
}

function onClose(this: ClientHttp2Stream): void {
  owner(this).onClose();
}

class Http2UpstreamStream implements UpstreamStream {
  readonly socket: Socket;
  private readonly stream: ClientHttp2Stream;
  private readonly callbacks: StreamCallbacks;
  private readonly client: Http2Client;
  private trailers: HeaderList | undefined;
  private responded = false;
  private done = false;
  private error: Error | undefined;

  constructor(client: Http2Client, stream: ClientHttp2Stream, callbacks: StreamCallbacks) {
    this.client = client;
    this.socket = client.socket;
    this.stream = stream;
    this.callbacks = callbacks;
    // Shared listeners find this object on the stream: no closures made per request.
    (stream as OwnedStream)[OWNER] = this;
    stream.on('response', onResponse);
    stream.on('data', onData);
    stream.on('trailers', onTrailers);
    stream.on('end', onEnd);
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  }

  write(data: Buffer, endStream: boolean): boolean {
    let ok = true;
    if (data.length > 0) ok = this.stream.write(data);
    if (endStream) this.stream.end();
    return ok;
  }

  readDisable(disable: boolean): void {
    if (disable) this.stream.pause();
    else this.stream.resume();
  }

  reset(): void {
    if (this.done) return;
    this.done = true;
    this.client.stats.upstreamRqTxReset.inc();
    this.stream.close(NGHTTP2_CANCEL);
  }

  onResponse(headers: IncomingHttpHeaders, flags: number): void {
    if (this.done) return;
    this.responded = true;
    const endStream = (flags & END_STREAM) !== 0;
    // A response that ends with its head (a gRPC trailers-only response, a 204) ends the stream.
    if (endStream) this.done = true;
    this.callbacks.onResponseHeaders(Number(headers[':status']), headerList(headers), endStream);
  }

  onData(data: Buffer): void {
    if (!this.done) this.callbacks.onResponseData(data);
  }

  onTrailers(trailers: IncomingHttpHeaders): void {
    this.trailers = headerList(trailers);
  }

  onEnd(): void {
    if (this.done || !this.responded) return;
    this.done = true;
    if (this.trailers !== undefined) this.callbacks.onResponseTrailers(this.trailers);
    else this.callbacks.onResponseEnd();
  }

  onDrain(): void {
    if (!this.done) this.callbacks.onStreamDrain();
  }

  onError(err: Error): void {
    this.error = err;
  }

  onClose(): void {
    this.client.streamClosed();
    if (this.done) return;
    this.done = true;
    const code = this.stream.rstCode;
    let reason: StreamResetReason;
    let detail: string;
    if (code === NGHTTP2_REFUSED_STREAM) {
      reason = 'refused-stream';
      detail = 'refused stream';
    } else if (!this.responded && this.client.refusedByGoaway(this.stream.id)) {
      // Past the GOAWAY's last stream id (or never sent): the upstream did not process it.
      reason = 'refused-stream';
      detail = 'refused stream';
    } else if (code !== undefined && code !== 0) {
      reason = 'reset';
      detail = `remote reset (code ${code})`;
    } else if (this.error !== undefined && /protocol/i.test(this.error.message)) {
      reason = 'protocol-error';
      detail = `protocol error: ${this.error.message}`;
    } else {
      reason = 'connection-termination';
      detail = this.error ? `connection failure: ${this.error.message}` : 'connection termination';
    }
    if (reason === 'reset' || reason === 'refused-stream') this.client.stats.upstreamRqRxReset.inc();
    this.callbacks.onStreamReset(reason, detail);
  }
}

/**
 * One HTTP/2 session to a host over the cluster's connect path (TCP or its TLS transport):
 * streams multiplexed up to the smaller of the peer's SETTINGS_MAX_CONCURRENT_STREAMS and the
 * cluster's own max_concurrent_streams; retired after max_requests_per_connection streams, a
 * GOAWAY, max_connection_duration, or idle_timeout with no stream.
 */
export class Http2Client implements ConnectionHandler {
  readonly host: Host;
  readonly stats: ClusterStats;
  readonly connection: UpstreamConnection;
  private session: ClientHttp2Session | undefined;
  private readonly options: HttpProtocolOptions;
  private readonly events: Http2ClientEvents;
  private readonly scheme: string;
  /** Streams open now, and opened in all. */
  active = 0;
  private opened = 0;
  ready = false;
  /** Takes no new stream (GOAWAY, max requests, duration); closes once its streams end. */
  draining = false;
  private goneAway = false;
  /** The last stream the peer's GOAWAY says it processed. */
  private lastStreamId = 0;
  private closed = false;
  private failure: string | undefined;
  private negotiatedHttp1 = false;
  private sessionError: Error | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(host: Host, connect: ConnectOptions, options: HttpProtocolOptions, scheme: string, events: Http2ClientEvents) {
    this.host = host;
    this.stats = connect.stats;
    this.options = options;
    this.events = events;
    this.scheme = scheme;
    this.connection = new UpstreamConnection(host, connect, {
      onPoolReady: () => this.startSession(),
      onPoolFailure: (reason) => this.connectFailed(reason),
    // The connection reports its close before its connect failure: the session settles after both.
    }, () => queueMicrotask(() => this.socketClosed()), false);
    this.connection.handler = this;
  }

  get socket(): Socket {
    return this.connection.socket;
  }

  /** Whether a GOAWAY came that leaves out stream `id` (undefined: never sent). */
  refusedByGoaway(id: number | undefined): boolean {
    return this.goneAway && (id === undefined || id > this.lastStreamId);
  }

  /** Streams this session may still open now. */
  get room(): number {
    const session = this.session;
    if (!this.ready || this.draining || session === undefined || session.closed || session.destroyed) return 0;
    return this.streamLimit() - this.active;
  }

  /** Streams it is expected to take once up (for sizing the pool while it connects). */
  get expectedRoom(): number {
    if (this.draining || this.closed) return 0;
    return this.ready ? this.room : this.streamLimit();
  }

  private streamLimit(): number {
    const http2Settings: Http2Settings = this.options.http2;
    const peer = this.session?.remoteSettings.maxConcurrentStreams ?? Infinity;
    let limit = Math.min(http2Settings.maxConcurrentStreams, peer);
    const max = this.options.maxRequestsPerConnection;
    if (max > 0) limit = Math.min(limit, max - this.opened + this.active);
    return limit;
  }

  private startSession(): void {
    const settings = this.options.http2;
    const socket = this.connection.socket;
    if (this.options.protocol === 'auto' && (socket as { alpnProtocol?: string | false }).alpnProtocol !== 'h2') {
      this.negotiatedHttp1 = true;
      socket.destroy();
      return;
    }
    this.stats.upstreamCxHttp2Total.inc();
    const session = http2().connect(`${this.scheme}://${this.host.key}`, {
      createConnection: () => socket,
      settings: {
        enablePush: false,
        ...(settings.initialStreamWindowSize !== undefined && { initialWindowSize: settings.initialStreamWindowSize }),
        ...(settings.hpackTableSize !== undefined && { headerTableSize: settings.hpackTableSize }),
      },
    });
    this.session = session;
    session.on('error', (err: Error) => {
      this.sessionError = err;
    });
    session.on('remoteSettings', () => {
      // Later SETTINGS may raise the peer's stream limit: waiting requests get the room.
      if (this.ready) {
        this.events.onStreamClosed(this);
        return;
      }
      if (settings.initialConnectionWindowSize !== undefined) session.setLocalWindowSize(settings.initialConnectionWindowSize);
      this.ready = true;
      this.startTimers();
      this.events.onReady(this);
    });
    session.on('goaway', (_code: number, lastStreamId: number) => {
      this.stats.upstreamCxCloseNotify.inc();
      this.goneAway = true;
      this.lastStreamId = lastStreamId;
      this.drain();
    });
    session.on('close', () => this.connection.socket.destroy());
  }

  private startTimers(): void {
    const duration = this.options.maxConnectionDurationMs;
    if (duration > 0) {
      this.durationTimer = setTimeout(() => this.drain(), duration);
      this.durationTimer.unref();
    }
    const interval = this.options.http2.keepaliveIntervalMs;
    if (interval > 0) {
      this.pingTimer = setInterval(() => this.ping(), interval);
      this.pingTimer.unref();
    }
    this.armIdle();
  }

  private ping(): void {
    const session = this.session;
    if (session === undefined || session.destroyed) return;
    const timeout = setTimeout(() => session.destroy(new Error('keepalive ping timed out')), this.options.http2.keepaliveTimeoutMs);
    timeout.unref();
    session.ping(() => clearTimeout(timeout));
  }

  private armIdle(): void {
    const idle = this.options.idleTimeoutMs;
    if (idle <= 0 || this.active > 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.active > 0) return;
      this.stats.upstreamCxIdleTimeout.inc();
      this.close();
    }, idle);
    this.idleTimer.unref();
  }

  /** Opens a stream for `head`; the caller checked `room`. */
  openStream(head: Http2RequestHead, callbacks: StreamCallbacks): void {
    const session = this.session as ClientHttp2Session;
    clearTimeout(this.idleTimer);
    this.active++;
    this.opened++;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(outgoingHeaders(head), { endStream: head.endStream });
    } catch (err) {
      // A header node refuses (a field HTTP/2 forbids): this request fails, the session lives.
      this.active--;
      callbacks.onPoolFailure(`protocol error: ${(err as Error).message}`);
      return;
    }
    const max = this.options.maxRequestsPerConnection;
    if (max > 0 && this.opened >= max) {
      this.stats.upstreamCxMaxRequests.inc();
      this.draining = true;
    }
    callbacks.onStreamReady(new Http2UpstreamStream(this, stream, callbacks));
  }

  streamClosed(): void {
    this.active--;
    if (this.draining && this.active === 0) {
      this.close();
      return;
    }
    this.armIdle();
    this.events.onStreamClosed(this);
  }

  /** Takes no new stream; closes when the open ones end. */
  drain(): void {
    this.draining = true;
    if (this.active === 0) this.close();
  }

  /** Closes the session: GOAWAY to the peer, then the socket. */
  close(): void {
    if (this.closed) return;
    this.draining = true;
    const session = this.session;
    if (session && !session.destroyed) session.close();
    else this.connection.socket.destroy();
  }

  private connectFailed(reason: string): void {
    this.failure = reason;
  }

  private socketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
    clearInterval(this.pingTimer);
    this.session?.destroy();
    // Closed before the peer's settings came: the streams waiting for it cannot go anywhere.
    if (this.negotiatedHttp1) this.events.onNegotiatedHttp1(this);
    else if (!this.ready) this.events.onConnectFailure(this, this.failure ?? (this.sessionError ? `protocol error: ${this.sessionError.message}` : 'connection failure'));
    this.events.onClosed(this);
  }

  // The session owns the socket's bytes; these only satisfy the pool's connection interface.
  onData(): void {}
  onDrain(): void {}
  onClose(): void {}
}
