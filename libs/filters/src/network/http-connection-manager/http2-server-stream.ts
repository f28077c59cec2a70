import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { HeaderList } from '../../http1/headers.ts';
import { HttpParseError, type RequestHead } from '../../http1/http-head.ts';
import type { HttpProtocol } from '../../http-stream.ts';
import type { DownstreamConnection } from '../../registry.ts';
import type { ActiveStream, StreamOwner } from './active-stream.ts';
import type { ConnectionManagerConfig } from './connection-manager-config.ts';
import { httpDate } from './http-date.ts';

/** What a stream needs from the HTTP/2 connection that carries it. */
export interface Http2StreamParent {
  readonly connection: DownstreamConnection;
  readonly config: ConnectionManagerConfig;
  onStreamResponseComplete(owner: Http2ServerStream): void;
  /** The response could not go out as HTTP/2 (a header node refuses); logged by the connection. */
  onEncodeError(owner: Http2ServerStream, err: Error): void;
  /** A write found the session's buffers full: a peer that does not read may be flooding. */
  onBackPressure(): void;
}

/** Connection-specific fields (RFC 9113 8.2.2): meaningful to HTTP/1.1 only, never sent in HTTP/2. */
const CONNECTION_FIELDS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
const DIGITS = /^\d{1,15}$/;

/**
 * A request head from an HTTP/2 HEADERS frame as node delivers it (raw, lowercase names,
 * pseudo-headers first): `:authority` becomes Host, split cookies are joined as HTTP/1.1
 * wants them, and a body of unknown length is framed as chunked for the HTTP/1.1 side.
 * Throws HttpParseError(400) for a request HTTP/1.1 upstreams cannot carry.
 */
export function requestHeadFromHttp2(raw: readonly string[], endStream: boolean): RequestHead {
  let method = '';
  let path = '';
  let authority: string | undefined;
  let cookie: string | undefined;
  let contentLength = -1;
  const headers: HeaderList = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ':method') method = value;
      else if (name === ':path') path = value;
      else if (name === ':authority') authority = value;
      else if (name === ':protocol') throw new HttpParseError(400, 'extended CONNECT (:protocol) is not supported');
      // :scheme is left out: x-forwarded-proto says what the downstream connection was.
      continue;
    }
    if (name === 'cookie') {
      cookie = cookie === undefined ? value : `${cookie}; ${value}`;
      continue;
    }
    if (name === 'content-length') {
      if (!DIGITS.test(value) || (contentLength !== -1 && contentLength !== Number(value))) throw new HttpParseError(400, `invalid content-length "${value.slice(0, 32)}"`);
      contentLength = Number(value);
    }
    // :authority wins over a Host header (RFC 9113 8.3.1).
    if (name === 'host' && authority !== undefined) continue;
    headers.push(name, value);
  }
  if (method === 'CONNECT') throw new HttpParseError(400, 'CONNECT is not supported');
  if (method === '' || path === '') throw new HttpParseError(400, 'missing :method or :path');
  if (endStream && contentLength > 0) throw new HttpParseError(400, 'content-length with no body');
  if (authority !== undefined) {
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] === 'host') {
        headers.splice(i, 2);
        break;
      }
    }
    headers.unshift('host', authority);
  }
  if (cookie !== undefined) headers.push('cookie', cookie);
  return { method, path, headers, contentLength, chunked: !endStream && contentLength < 0, keepAlive: true, minorVersion: 1 };
}

/** Trailers as node's sendTrailers takes them (an object; repeated names as lists). */
function trailerObject(trailers: HeaderList): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (let i = 0; i < trailers.length; i += 2) {
    const name = trailers[i];
    if (CONNECTION_FIELDS.has(name) || name.charCodeAt(0) === 0x3a) continue;
    const prev = out[name];
    out[name] = prev === undefined ? trailers[i + 1] : [...(Array.isArray(prev) ? prev : [String(prev)]), trailers[i + 1]];
  }
  return out;
}

/** One HTTP/2 stream as its ActiveStream's owner: encodes the response as HEADERS, DATA and
 *  trailing HEADERS through node's session. */
export class Http2ServerStream implements StreamOwner {
  readonly protocol: HttpProtocol = 'HTTP/2';
  readonly h2: ServerHttp2Stream;
  readonly startTime = performance.now();
  stream: ActiveStream | undefined = undefined;
  /** The proxy reset the stream itself (not the client). */
  resetLocally = false;
  private readonly parent: Http2StreamParent;
  private trailers: HeaderList | undefined = undefined;

  constructor(parent: Http2StreamParent, h2: ServerHttp2Stream) {
    this.parent = parent;
    this.h2 = h2;
  }

  get connection(): DownstreamConnection {
    return this.parent.connection;
  }

  sendContinue(): void {
    if (!this.h2.headersSent && !this.h2.destroyed) this.h2.additionalHeaders({ ':status': 100 });
  }

  encodeHeaders(status: number, _reason: string, headers: HeaderList, bodyLength: number, bodyAllowed: boolean): void {
    const h2 = this.h2;
    if (h2.destroyed || h2.headersSent) return;
    const config = this.parent.config;
    const out: string[] = [':status', String(status)];
    let hasServer = false;
    let hasDate = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (CONNECTION_FIELDS.has(name) || (name === 'content-length' && bodyLength >= 0)) continue;
      if (name === 'server') {
        if (config.serverHeaderTransformation === 'OVERWRITE') continue;
        hasServer = true;
      } else if (name === 'date') hasDate = true;
      out.push(name, headers[i + 1]);
    }
    if (!hasServer && config.serverHeaderTransformation !== 'PASS_THROUGH') out.push('server', config.serverName);
    if (!hasDate) out.push('date', httpDate());
    if (bodyLength >= 0) out.push('content-length', String(bodyLength));
    try {
      // Trailers may end the body, and only the end tells: node then asks for them (wantTrailers).
      h2.respond(out as unknown as OutgoingHttpHeaders, { endStream: !bodyAllowed, waitForTrailers: bodyAllowed });
    } catch (err) {
      this.parent.onEncodeError(this, err as Error);
      return;
    }
    if (bodyAllowed) h2.once('wantTrailers', this.onWantTrailers);
  }

  encodeData(data: Buffer): boolean {
    if (this.h2.destroyed || !this.h2.headersSent) return true;
    if (this.h2.write(data)) return true;
    this.parent.onBackPressure();
    return false;
  }

  encodeEnd(trailers: HeaderList | undefined): void {
    const h2 = this.h2;
    this.trailers = trailers;
    if (!h2.destroyed && h2.headersSent && !h2.writableEnded) h2.end();
  }

  /** Empty trailers make node end the stream with an empty DATA frame instead. */
  private readonly onWantTrailers = (): void => {
    try {
      this.h2.sendTrailers(this.trailers === undefined ? {} : trailerObject(this.trailers));
    } catch (err) {
      this.parent.onEncodeError(this, err as Error);
    }
  };

  onResponseComplete(): void {
    this.parent.onStreamResponseComplete(this);
  }

  readDisable(disable: boolean): void {
    if (disable) this.h2.pause();
    else this.h2.resume();
  }

  resetStream(): void {
    this.resetLocally = true;
    if (!this.h2.destroyed) this.h2.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  detach(): { socket: Socket; buffered: Buffer | undefined } {
    // Upgrades are HTTP/1.1's; an HTTP/2 request never asks for one (see ActiveStream.upgrade).
    throw new Error('an HTTP/2 stream cannot leave HTTP');
  }
}
