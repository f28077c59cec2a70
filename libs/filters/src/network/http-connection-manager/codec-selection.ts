import type { Socket } from 'node:net';
import type { CodecType } from './connection-manager-config.ts';

/** What an HTTP/2 client with prior knowledge sends first (RFC 9113 3.4). */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** The codec a connection speaks when the config does not force one: HTTP/2 when TLS
 *  negotiated `h2`, else undefined (the first bytes decide). */
export function codecFromAlpn(socket: Socket): 'HTTP2' | undefined {
  return (socket as { alpnProtocol?: unknown }).alpnProtocol === 'h2' ? 'HTTP2' : undefined;
}

/** True once `data` is the whole preface; false once it cannot be; undefined while it is a
 *  proper prefix of it. */
export function startsWithPreface(data: Buffer): boolean | undefined {
  const n = Math.min(data.length, HTTP2_PREFACE.length);
  if (data.compare(HTTP2_PREFACE, 0, n, 0, n) !== 0) return false;
  return n === HTTP2_PREFACE.length ? true : undefined;
}

/**
 * Reads until the first bytes tell HTTP/2's preface from anything else, then puts them back
 * (paused, for the codec to read) and calls `decide`. A connection that sends nothing within
 * `timeoutMs` (0: never) or closes first is simply closed.
 */
export function sniffCodec(socket: Socket, timeoutMs: number, decide: (codec: Exclude<CodecType, 'AUTO'>) => void): void {
  let seen: Buffer | undefined;
  const done = (): void => {
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('timeout', onTimeout);
    if (timeoutMs > 0) socket.setTimeout(0);
  };
  const onData = (chunk: Buffer): void => {
    seen = seen === undefined ? chunk : Buffer.concat([seen, chunk]);
    const preface = startsWithPreface(seen);
    if (preface === undefined) return;
    done();
    socket.pause();
    socket.unshift(seen);
    decide(preface ? 'HTTP2' : 'HTTP1');
  };
  // Errors before a codec owns the socket end in its close; the listener counts that.
  const onError = (): void => {};
  const onTimeout = (): void => {
    done();
    socket.destroy();
  };
  socket.on('data', onData);
  socket.on('error', onError);
  if (timeoutMs > 0) {
    socket.setTimeout(timeoutMs);
    socket.on('timeout', onTimeout);
  }
}
