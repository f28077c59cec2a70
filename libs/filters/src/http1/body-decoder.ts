import type { HeaderList } from './headers.ts';
import { HttpParseError } from './http-head.ts';

/** Receives the payload of a message body as it is decoded. */
export interface BodySink {
  onBodyData(data: Buffer): void;
}

const Step = {
  none: 0, length: 1, close: 2, chunkSize: 3, chunkData: 4, chunkDataEnd: 5, trailer: 6, done: 7,
} as const;
type State = (typeof Step)[keyof typeof Step];

const MAX_LINE = 4096;
const MAX_TRAILERS = 100;

/**
 * Streams a message body out of the bytes that follow its head: Content-Length, chunked
 * (chunk extensions are read and dropped, trailers kept in `trailers`) or delimited by
 * connection close.
 * One decoder per connection is reused across messages (`start` resets it).
 */
// RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] ).
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*"';
const CHUNK_EXTENSIONS = new RegExp(`^(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)+[ \\t]*$`);
// A trailer field: token, colon, a value of visible characters, spaces, tabs and obs-text.
const TRAILER_FIELD = new RegExp(`^(${TOKEN}):[ \\t]*([\\t\\x20-\\x7e\\x80-\\xff]*?)[ \\t]*$`);

export class BodyDecoder {
  private state: State = Step.done;
  private remaining = 0;
  private line = '';
  private status = 400;
  /** The trailer fields of the last chunked body (lowercased names), once it is done. */
  trailers: HeaderList | undefined = undefined;

  /** length >= 0: Content-Length; chunked; or neither: the body runs until close
   *  (responses) or is empty (requests). `errorStatus` is what malformed framing maps to. */
  start(contentLength: number, chunked: boolean, untilClose: boolean, errorStatus = 400): void {
    this.status = errorStatus;
    this.line = '';
    this.trailers = undefined;
    if (chunked) this.state = Step.chunkSize;
    else if (contentLength > 0) {
      this.state = Step.length;
      this.remaining = contentLength;
    } else if (contentLength === -1 && untilClose) this.state = Step.close;
    else this.state = Step.done;
  }

  get done(): boolean {
    return this.state === Step.done;
  }

  /** True while the body ends only when the peer closes. */
  get untilClose(): boolean {
    return this.state === Step.close;
  }

  /** Decodes from buf[offset, end), hands payload to the sink, returns the bytes used. */
  consume(buf: Buffer, offset: number, end: number, sink: BodySink): number {
    let i = offset;
    while (i < end && this.state !== Step.done) {
      switch (this.state) {
        case Step.close:
          sink.onBodyData(buf.subarray(i, end));
          return end - offset;
        case Step.length:
        case Step.chunkData: {
          const n = Math.min(this.remaining, end - i);
          sink.onBodyData(buf.subarray(i, i + n));
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = this.state === Step.length ? Step.done : Step.chunkDataEnd;
          break;
        }
        case Step.chunkDataEnd:
        case Step.chunkSize:
        case Step.trailer: {
          const c = buf[i++];
          if (c !== 0x0a) {
            if (this.line.length >= MAX_LINE) throw new HttpParseError(this.status, 'chunk framing line too long');
            this.line += String.fromCharCode(c);
            break;
          }
          if (!this.line.endsWith('\r')) throw new HttpParseError(this.status, 'bare LF in chunked body');
          const text = this.line.slice(0, -1);
          this.line = '';
          this.onLine(text);
          break;
        }
        case Step.none:
          this.state = Step.done;
          break;
      }
    }
    return i - offset;
  }

  private onLine(text: string): void {
    if (this.state === Step.chunkDataEnd) {
      if (text !== '') throw new HttpParseError(this.status, 'missing CRLF after chunk data');
      this.state = Step.chunkSize;
    } else if (this.state === Step.chunkSize) {
      const semi = text.indexOf(';');
      const hex = (semi === -1 ? text : text.slice(0, semi)).trim();
      if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new HttpParseError(this.status, `invalid chunk size "${hex.slice(0, 16)}"`);
      if (semi !== -1 && !CHUNK_EXTENSIONS.test(text.slice(semi))) throw new HttpParseError(this.status, 'invalid chunk extension');
      const size = parseInt(hex, 16);
      if (size === 0) this.state = Step.trailer;
      else {
        this.remaining = size;
        this.state = Step.chunkData;
      }
    } else if (text === '') this.state = Step.done;
    else this.addTrailer(text);
  }

  private addTrailer(line: string): void {
    const field = TRAILER_FIELD.exec(line);
    if (field === null) throw new HttpParseError(this.status, `invalid trailer line "${line.slice(0, 64)}"`);
    const trailers = (this.trailers ??= []);
    if (trailers.length >= 2 * MAX_TRAILERS) throw new HttpParseError(this.status, `more than ${MAX_TRAILERS} trailers`);
    trailers.push(field[1].toLowerCase(), field[2]);
  }
}
