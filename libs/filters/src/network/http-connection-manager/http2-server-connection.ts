import { constants, performServerHandshake, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { logCodecError } from '../../access-log/access-log-config.ts';
import { HttpParseError } from '../../http1/http-head.ts';
import type { DownstreamConnection } from '../../registry.ts';
import { ResponseFlag } from '../../response-flags.ts';
import { ActiveStream } from './active-stream.ts';
import type { ConnectionManagerConfig } from './connection-manager-config.ts';
import type { ConnectionRegistry } from './http1-server-connection.ts';
import { requestHeadFromHttp2, Http2ServerStream, type Http2StreamParent } from './http2-server-stream.ts';

const EMPTY = Buffer.alloc(0);
/** Envoy's max_headers_count default; node counts the four request pseudo-headers too. */
const MAX_HEADERS = 100 + 4;
// Envoy's rapid reset defence (its premature_reset_* runtime defaults): a stream the client
// resets within a second of opening it is premature; once half of 500 streams are, the
// connection goes.
const PREMATURE_LIFETIME_MS = 1000;
const PREMATURE_STREAM_COUNT = 500;

/**
 * The server side of one downstream HTTP/2 connection: node's nghttp2 session on the accepted
 * socket (plain, or TLS after ALPN `h2`), each stream an ActiveStream through the HTTP filters.
 * nghttp2 enforces the framing rules, max_concurrent_streams (REFUSED_STREAM), CONTINUATION
 * limits and its own reset rate; this class adds Envoy's premature reset and outbound flood
 * limits, and GOAWAY on drain.
 */
export class Http2ServerConnection implements Http2StreamParent {
  readonly connection: DownstreamConnection;
  readonly config: ConnectionManagerConfig;
  private readonly registry: ConnectionRegistry;
  private readonly session: ServerHttp2Session;
  private readonly streams = new Set<Http2ServerStream>();
  private closedStreams = 0;
  private prematureResets = 0;
  private closed = false;

  constructor(registry: ConnectionRegistry, connection: DownstreamConnection) {
    this.registry = registry;
    this.config = registry.config;
    this.connection = connection;
    const h2 = this.config.http2;
    const stats = this.config.stats;
    stats.cxTotal.inc();
    stats.cxHttp2Total.inc();
    stats.cxActive.inc();
    stats.cxHttp2Active.inc();
    // A server-side TLSSocket made by hand still says secureConnecting after its handshake
    // (node's tls.Server clears it): node's HTTP/2 would wait for a 'secureConnect' that never
    // comes. Only sockets whose handshake is done reach a filter chain.
    const socket = connection.socket as { secureConnecting?: boolean };
    if (socket.secureConnecting === true) socket.secureConnecting = false;
    this.session = performServerHandshake(connection.socket, {
      settings: {
        headerTableSize: h2.hpackTableSize,
        maxConcurrentStreams: h2.maxConcurrentStreams,
        initialWindowSize: h2.initialStreamWindowSize,
        maxHeaderListSize: this.config.maxRequestHeadersBytes,
        enablePush: false,
      },
      maxHeaderListPairs: MAX_HEADERS,
    });
    const session = this.session;
    session.on('stream', this.onStream);
    session.on('close', this.onClose);
    session.on('error', (err: Error) => registry.log.debug(`HTTP/2 connection ${this.config.statPrefix}: ${err.message}`));
    session.on('frameError', (type: number, code: number) => registry.log.debug(`HTTP/2 connection ${this.config.statPrefix}: frame ${type} not sent (error ${code})`));
    session.setLocalWindowSize(h2.initialConnectionWindowSize);
    if (this.config.idleTimeoutMs > 0) session.setTimeout(this.config.idleTimeoutMs, this.onIdleTimeout);
    if (registry.draining) this.drain();
  }

  /** GOAWAY: the client opens no new stream here; those in flight finish, then the
   *  connection closes (the listener cuts what is left when its drain time ends). */
  drain(): void {
    if (this.closed || this.session.closed) return;
    this.config.stats.cxDrainClose.inc();
    this.session.close();
  }

  private readonly onStream = (h2: ServerHttp2Stream, _headers: unknown, _flags: number, rawHeaders: string[]): void => {
    const stats = this.config.stats;
    if (this.outboundFlooded()) return;
    const owner = new Http2ServerStream(this, h2);
    this.streams.add(owner);
    h2.on('close', () => this.onStreamClose(owner));
    h2.on('error', (err: Error) => this.registry.log.debug(`HTTP/2 stream ${h2.id ?? '?'}: ${err.message}`));
    const endStream = h2.endAfterHeaders;
    let head;
    try {
      head = requestHeadFromHttp2(rawHeaders, endStream);
    } catch (err) {
      if (!(err instanceof HttpParseError)) throw err;
      this.rejectStream(owner, err);
      return;
    }
    stats.rqTotal.inc();
    stats.rqHttp2Total.inc();
    stats.rqActive.inc();
    const stream = new ActiveStream(owner, this.config, head);
    owner.stream = stream;
    h2.on('drain', () => stream.onDownstreamDrain());
    if (!endStream) {
      h2.on('data', (data: Buffer) => {
        if (!stream.responseComplete) stream.decodeData(data, false);
      });
      h2.on('end', () => {
        if (!stream.responseComplete && !stream.requestComplete) stream.decodeData(EMPTY, true);
      });
    }
    stream.decodeHeaders(endStream);
  };

  /** A request HTTP/1.1 cannot carry: 400, as the HTTP/1.1 codec answers, on this stream only. */
  private rejectStream(owner: Http2ServerStream, err: HttpParseError): void {
    const config = this.config;
    config.stats.cxProtocolError.inc();
    this.registry.log.debug(`HTTP/2 stream on ${config.statPrefix}: ${err.message}`);
    if (config.accessLogs.length !== 0) logCodecError(config.accessLogs, this.connection, undefined, err.status);
    const h2 = owner.h2;
    if (h2.destroyed) return;
    h2.respond({ ':status': err.status, 'content-type': 'text/plain', 'content-length': 11 });
    h2.end('Bad Request');
  }

  onStreamResponseComplete(owner: Http2ServerStream): void {
    const stream = owner.stream as ActiveStream;
    const stats = this.config.stats;
    stats.rqActive.dec();
    stats.rqCompleted.inc();
    // The client is still sending a request that has its answer: stop it (RST_STREAM
    // NO_ERROR once the response is out, RFC 9113 8.1).
    if (!stream.requestComplete && !owner.h2.destroyed) owner.h2.close(constants.NGHTTP2_NO_ERROR);
  }

  onEncodeError(owner: Http2ServerStream, err: Error): void {
    this.registry.log.warn(`HTTP/2 connection ${this.config.statPrefix}: response not sent: ${err.message}`);
    owner.resetStream();
  }

  private onStreamClose(owner: Http2ServerStream): void {
    this.streams.delete(owner);
    const stream = owner.stream;
    if (stream === undefined) return;
    this.closedStreams++;
    if (!stream.responseComplete) {
      this.config.stats.rqActive.dec();
      stream.responseFlags |= ResponseFlag.DC;
      stream.destroy();
      if (!owner.resetLocally && performance.now() - owner.startTime < PREMATURE_LIFETIME_MS) this.prematureResets++;
      if (!this.closed && this.tooManyPrematureResets()) {
        this.config.stats.rqTooManyPrematureResets.inc();
        this.terminate(constants.NGHTTP2_ENHANCE_YOUR_CALM, 'too many streams reset by the client');
      }
    }
  }

  /** Envoy's rule: half of PREMATURE_STREAM_COUNT premature resets at any point, or half of
   *  all closed streams once there were that many. */
  private tooManyPrematureResets(): boolean {
    if (this.closedStreams < PREMATURE_STREAM_COUNT) return this.prematureResets * 2 >= PREMATURE_STREAM_COUNT;
    return this.prematureResets * 2 >= this.closedStreams;
  }

  onBackPressure(): void {
    this.outboundFlooded();
  }

  /** Frames pile up for a peer that does not read them (max_outbound_frames): checked when a
   *  stream opens and when a write meets full buffers, not per frame. */
  private outboundFlooded(): boolean {
    if (this.closed) return true;
    const queued = this.session.state.outboundQueueSize ?? 0;
    if (queued <= this.config.http2.maxOutboundFrames) return false;
    this.config.stats.http2OutboundFlood.inc();
    this.terminate(constants.NGHTTP2_ENHANCE_YOUR_CALM, 'outbound frames above max_outbound_frames');
    return true;
  }

  /** GOAWAY with `code`, then the connection closes at once. */
  private terminate(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // With no error node's destroy sends NO_ERROR whatever the code.
    this.session.destroy(new Error(reason), code);
  }

  private readonly onIdleTimeout = (): void => {
    if (this.streams.size === 0) this.session.close();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    const stats = this.config.stats;
    stats.cxActive.dec();
    stats.cxHttp2Active.dec();
    for (const owner of this.streams) this.onStreamClose(owner);
    this.streams.clear();
    this.connection.socket.destroy();
    this.registry.remove(this);
  };
}
