import type { Socket } from 'node:net';
import { logCodecError } from '../../access-log/access-log-config.ts';
import { BodyDecoder, type BodySink } from '../../http1/body-decoder.ts';
import { getHeader, type HeaderList } from '../../http1/headers.ts';
import { CRLFCRLF, HttpParseError, parseRequestHead, type RequestHead } from '../../http1/http-head.ts';
import { statusText } from '../../http1/status-text.ts';
import { BODY_UNKNOWN, type HttpProtocol } from '../../http-stream.ts';
import type { DownstreamConnection, Logger } from '../../registry.ts';
import { ResponseFlag } from '../../response-flags.ts';
import { ActiveStream, type StreamOwner } from './active-stream.ts';
import type { ConnectionManagerConfig } from './connection-manager-config.ts';
import { httpDate } from './http-date.ts';

const EMPTY = Buffer.alloc(0);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const CHUNK_END = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
// Past this many bytes a response's pieces are handed to the socket as they are (one writev),
// not copied into one buffer, and a writer is told to wait for 'drain' (the socket's default).
const COALESCE_LIMIT = 16384;

/** The connection manager as its connections see it. */
export interface ConnectionRegistry {
  readonly config: ConnectionManagerConfig;
  readonly draining: boolean;
  readonly log: Logger;
  remove(connection: { drain(): void }): void;
}

/**
 * The server side of one downstream HTTP/1.1 connection: frames requests out of the byte
 * stream, runs one stream at a time (pipelined requests wait in the buffer, unread), and
 * encodes responses in order. It is the owner of each of its streams in turn.
 */
export class Http1ServerConnection implements StreamOwner, BodySink {
  readonly connection: DownstreamConnection;
  private readonly socket: Socket;
  private readonly registry: ConnectionRegistry;
  private readonly config: ConnectionManagerConfig;
  private readonly decoder = new BodyDecoder();
  private buffer: Buffer | undefined;
  private stream: ActiveStream | undefined;
  private processing = false;
  private closing = false;
  private closed = false;
  private streamPaused = false;
  /** Response bytes not yet handed to the socket (see write). */
  private out: (Buffer | string)[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  /** Queued as a microtask, which runs when the current tick ends; made once per connection,
   *  so that scheduling a flush allocates nothing per request (process.nextTick would). */
  private readonly flushAtTickEnd = (): void => {
    this.flush();
  };
  private pipelinePaused = false;
  /** The current response is chunked (HTTP/1.1 with a body of unknown length). */
  private chunkedResponse = false;
  /** The HTTP/1.x minor version of the current request, which its response speaks. */
  private minorVersion = 1;
  /** Runs from the first byte of a request head to its last (request_headers_timeout). */
  private headersTimer: NodeJS.Timeout | undefined;

  constructor(registry: ConnectionRegistry, connection: DownstreamConnection) {
    this.registry = registry;
    this.config = registry.config;
    this.connection = connection;
    this.socket = connection.socket;
    const stats = this.config.stats;
    stats.cxTotal.inc();
    stats.cxHttp1Total.inc();
    stats.cxActive.inc();
    this.socket.on('data', this.onData);
    this.socket.on('drain', this.onSocketDrain);
    this.socket.on('close', this.onSocketClose);
    this.socket.on('error', this.onSocketError);
    if (this.config.idleTimeoutMs > 0) {
      this.socket.setTimeout(this.config.idleTimeoutMs);
      this.socket.on('timeout', this.onIdleTimeout);
    }
  }

  /** Nothing to do now: the next response says "connection: close" and ends the connection
   *  (see willClose). An idle connection is not cut under a client that may be sending a
   *  request right now; the listener closes whatever is left when the drain time ends. */
  drain(): void {}

  /** The connection closes after this response (the client asked, or draining). */
  willClose(): boolean {
    return this.closing || this.registry.draining;
  }

  /**
   * Queues response bytes (strings are latin1). They leave in one write when the response
   * ends or the tick does, so a head and its body cost one syscall; small pieces are copied
   * into one buffer rather than going through the socket's cork and writev machinery, which
   * costs more per request than the copy. Returns false when the socket is full.
   */
  write(data: Buffer | string): boolean {
    if (this.closed) return true;
    this.out.push(data);
    this.outBytes += data.length;
    if (this.socket.writableLength + this.outBytes >= COALESCE_LIMIT) return this.flush();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushAtTickEnd);
    }
    return true;
  }

  get protocol(): HttpProtocol {
    return this.minorVersion === 0 ? 'HTTP/1.0' : 'HTTP/1.1';
  }

  sendContinue(): void {
    if (this.minorVersion === 1) this.write(CONTINUE);
  }

  encodeHeaders(status: number, reason: string, headers: HeaderList, bodyLength: number, bodyAllowed: boolean): void {
    const config = this.config;
    let close = this.willClose();
    const minor = this.minorVersion;
    let head = `HTTP/1.${minor} ${status} ${reason}\r\n`;
    let hasServer = false;
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (name === 'server') {
        if (config.serverHeaderTransformation === 'OVERWRITE') continue;
        hasServer = true;
      } else if (name === 'date') hasDate = true;
      head += `${name}: ${headers[i + 1]}\r\n`;
    }
    if (!hasServer && config.serverHeaderTransformation !== 'PASS_THROUGH') head += `server: ${config.serverName}\r\n`;
    if (!hasDate) head += `date: ${httpDate()}\r\n`;
    this.chunkedResponse = false;
    if (bodyLength >= 0) head += `content-length: ${bodyLength}\r\n`;
    else if (bodyLength === BODY_UNKNOWN && bodyAllowed) {
      if (minor === 1) {
        head += 'transfer-encoding: chunked\r\n';
        this.chunkedResponse = true;
      } else {
        // HTTP/1.0 has no chunked framing: the body ends when the connection closes.
        this.closing = true;
        close = true;
      }
    }
    if (close) head += 'connection: close\r\n';
    else if (minor === 0) head += 'connection: keep-alive\r\n';
    this.write(head + '\r\n');
  }

  encodeData(data: Buffer): boolean {
    if (!this.chunkedResponse) return this.write(data);
    this.write(`${data.length.toString(16)}\r\n`);
    this.write(data);
    return this.write(CHUNK_END);
  }

  /** A chunked response ends with its last chunk, which carries the trailers; a response of
   *  known length has nowhere to put them. */
  encodeEnd(trailers: HeaderList | undefined): void {
    if (!this.chunkedResponse) return;
    this.chunkedResponse = false;
    if (trailers === undefined) {
      this.write(LAST_CHUNK);
      return;
    }
    let last = '0\r\n';
    for (let i = 0; i < trailers.length; i += 2) last += `${trailers[i]}: ${trailers[i + 1]}\r\n`;
    this.write(`${last}\r\n`);
  }

  resetStream(): void {
    this.resetConnection();
  }

  /** Hands the queued bytes to the socket; returns what the socket's write returned. */
  flush(): boolean {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.socket.destroyed) return true;
    const socket = this.socket;
    let ok: boolean;
    if (out.length === 1) {
      const data = out[0];
      ok = typeof data === 'string' ? socket.write(data, 'latin1') : socket.write(data);
    } else if (this.outBytes < COALESCE_LIMIT) {
      const buf = Buffer.allocUnsafe(this.outBytes);
      let at = 0;
      for (const data of out) at += typeof data === 'string' ? buf.write(data, at, 'latin1') : data.copy(buf, at);
      ok = socket.write(buf);
    } else {
      socket.cork();
      ok = true;
      for (const data of out) ok = typeof data === 'string' ? socket.write(data, 'latin1') : socket.write(data);
      socket.uncork();
    }
    this.out = [];
    this.outBytes = 0;
    return ok;
  }

  readDisable(disable: boolean): void {
    this.streamPaused = disable;
    this.updateReading();
  }

  resetConnection(): void {
    this.closed = true;
    this.socket.destroy();
  }

  detach(): { socket: Socket; buffered: Buffer | undefined } {
    this.flush();
    this.closed = true;
    const stats = this.config.stats;
    stats.rqActive.dec();
    stats.rqCompleted.inc();
    stats.cxActive.dec();
    this.stream = undefined;
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('drain', this.onSocketDrain);
    socket.off('close', this.onSocketClose);
    socket.off('timeout', this.onIdleTimeout);
    socket.setTimeout(0);
    socket.resume();
    this.registry.remove(this);
    const buffered = this.buffer;
    this.buffer = undefined;
    return { socket, buffered };
  }

  onResponseComplete(stream: ActiveStream): void {
    if (stream !== this.stream) return;
    this.flush();
    const stats = this.config.stats;
    stats.rqActive.dec();
    stats.rqCompleted.inc();
    this.stream = undefined;
    this.streamPaused = false;
    // A request whose body is still arriving cannot be skipped reliably: close instead.
    if (!stream.requestComplete) this.closing = true;
    if (this.willClose()) {
      if (this.registry.draining) stats.cxDrainClose.inc();
      this.close();
      return;
    }
    this.pipelinePaused = false;
    this.updateReading();
    if (this.buffer) this.process();
  }

  onBodyData(data: Buffer): void {
    this.stream?.decodeData(data, false);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffer = this.buffer === undefined ? chunk : Buffer.concat([this.buffer, chunk]);
    this.process();
  };

  private readonly onSocketDrain = (): void => {
    this.stream?.onDownstreamDrain();
  };

  private readonly onSocketClose = (): void => {
    this.closed = true;
    clearTimeout(this.headersTimer);
    this.config.stats.cxActive.dec();
    if (this.stream) {
      this.config.stats.rqActive.dec();
      if (!this.stream.responseComplete) this.stream.responseFlags |= ResponseFlag.DC;
      this.stream.destroy();
      this.stream = undefined;
    }
    this.registry.remove(this);
  };

  private readonly onSocketError = (err: Error): void => {
    this.registry.log.debug(`downstream connection error: ${err.message}`);
  };

  private readonly onIdleTimeout = (): void => {
    if (this.stream === undefined) this.close();
  };

  private close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.socket.end();
  }

  private updateReading(): void {
    if (this.closed) return;
    if (this.streamPaused || this.pipelinePaused) this.socket.pause();
    else this.socket.resume();
  }

  private consume(n: number): void {
    const buffer = this.buffer as Buffer;
    this.buffer = n >= buffer.length ? undefined : buffer.subarray(n);
  }

  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.buffer !== undefined && !this.closed) {
        const stream = this.stream;
        if (stream === undefined) {
          // After "connection: close" nothing more is read; a draining connection still
          // serves the request it gets and closes with the response.
          if (this.closing) {
            this.buffer = undefined;
            break;
          }
          if (!this.startStream(this.buffer)) break;
        } else if (!stream.requestComplete) {
          const buffer = this.buffer;
          this.consume(this.decoder.consume(buffer, 0, buffer.length, this));
          if (this.decoder.done && this.stream === stream && !stream.requestComplete) stream.decodeData(EMPTY, true);
        } else {
          // The next pipelined request waits, unread, until this response is written.
          this.pipelinePaused = true;
          this.updateReading();
          break;
        }
      }
    } catch (err) {
      if (err instanceof HttpParseError) this.protocolError(err.status, err.message);
      else {
        this.registry.log.error(`HTTP connection manager ${this.config.statPrefix}: ${(err as Error).stack ?? err}`);
        this.resetConnection();
      }
    } finally {
      this.processing = false;
    }
  }

  /** Parses a request head from the buffer; false when more bytes are needed. */
  private startStream(buffer: Buffer): boolean {
    const end = buffer.indexOf(CRLFCRLF);
    if (end === -1) {
      if (buffer.length > this.config.maxRequestHeadersBytes) throw new HttpParseError(431, 'request headers too large');
      if (this.headersTimer === undefined && this.config.requestHeadersTimeoutMs > 0) this.headersTimer = setTimeout(this.onHeadersTimeout, this.config.requestHeadersTimeoutMs);
      return false;
    }
    if (end > this.config.maxRequestHeadersBytes) throw new HttpParseError(431, 'request headers too large');
    if (this.headersTimer !== undefined) {
      clearTimeout(this.headersTimer);
      this.headersTimer = undefined;
    }
    const head: RequestHead = parseRequestHead(buffer, 0, end);
    this.consume(end + 4);
    this.minorVersion = head.minorVersion;
    if (head.minorVersion === 0) this.admitHttp10(head);
    if (!head.keepAlive) this.closing = true;
    const stats = this.config.stats;
    stats.rqTotal.inc();
    stats.rqHttp1Total.inc();
    stats.rqActive.inc();
    this.decoder.start(head.contentLength, head.chunked, false);
    const stream = new ActiveStream(this, this.config, head);
    this.stream = stream;
    const endStream = this.decoder.done;
    if (endStream) stream.requestComplete = true;
    stream.decodeHeaders(endStream);
    return true;
  }

  /** HTTP/1.0 as Envoy takes it: refused with 426 unless http_protocol_options accepts it;
   *  the upstream request is HTTP/1.1 and must name a host, so the default host fills in. */
  private admitHttp10(head: RequestHead): void {
    const { accept, defaultHost } = this.config.http10;
    if (!accept) throw new HttpParseError(426, 'HTTP/1.0 request on a connection manager without http_protocol_options.accept_http_10');
    if (getHeader(head.headers, 'host') !== undefined) return;
    if (defaultHost === undefined) throw new HttpParseError(400, 'HTTP/1.0 request without host header and no http_protocol_options.default_host_for_http_10');
    head.headers.push('host', defaultHost);
  }

  /** A request head that trickles in (slowloris) gets 408 and the connection closes, as in Envoy. */
  private readonly onHeadersTimeout = (): void => {
    this.headersTimer = undefined;
    if (this.stream === undefined && !this.closed) this.protocolError(408, 'request headers timeout');
  };

  private protocolError(status: number, message: string): void {
    this.config.stats.cxProtocolError.inc();
    this.registry.log.debug(`HTTP connection manager ${this.config.statPrefix}: ${message}`);
    if (this.stream?.responseStarted) {
      this.resetConnection();
      return;
    }
    if (this.config.accessLogs.length !== 0) logCodecError(this.config.accessLogs, this.connection, this.stream, status);
    this.stream?.destroy();
    const body = statusText(status);
    this.write(`HTTP/1.1 ${status} ${body}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${body}`);
    this.close();
  }
}
