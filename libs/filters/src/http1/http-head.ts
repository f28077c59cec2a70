import { hasToken, type HeaderList } from './headers.ts';

/** Malformed HTTP/1.1 input; `status` is what a server answers (400, 431, 501, 505). */
export class HttpParseError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpParseError';
    this.status = status;
  }
}

export interface MessageFraming {
  /** Body length from Content-Length, or -1 when there is none. */
  contentLength: number;
  chunked: boolean;
  /** Whether the connection may carry another message after this one. */
  keepAlive: boolean;
  /** HTTP/1.x minor version: 0 or 1. */
  minorVersion: number;
}

export interface RequestHead extends MessageFraming {
  method: string;
  path: string;
  headers: HeaderList;
}

export interface ResponseHead extends MessageFraming {
  status: number;
  reason: string;
  headers: HeaderList;
}

export const CRLFCRLF = Buffer.from('\r\n\r\n');

// RFC 9110 tchar, as a lookup table so validation is a loop of array reads.
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

function isToken(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TOKEN[c] === 0) return false;
  }
  return true;
}

/** Field values may hold visible characters, spaces, tabs and obs-text, never other controls
 *  (a bare CR or LF inside a line is one of them: a framing ambiguity, refused, not guessed). */
function isFieldValue(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

function isRequestTarget(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return false;
  }
  return true;
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

// Envoy's default max_headers_count.
const MAX_HEADERS = 100;

/**
 * Parses the header lines of `text` from `from` (the start of the line after the start line)
 * into a lowercased flat list and works out the body framing. Shared by requests and
 * responses. One pass over the text with index arithmetic: the head of every request goes
 * through here, so it makes no array of lines and slices each name and value once.
 */
function parseFields(text: string, from: number, minorVersion: number, headers: HeaderList, framing: MessageFraming): void {
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection: string | undefined;
  let count = 0;
  for (let pos = from; pos < text.length; ) {
    let eol = text.indexOf('\r\n', pos);
    if (eol === -1) eol = text.length;
    if (++count > MAX_HEADERS) throw new HttpParseError(431, `more than ${MAX_HEADERS} headers`);
    const colon = text.indexOf(':', pos);
    // A leading space or tab is obsolete line folding, which RFC 9112 lets us reject.
    if (colon <= pos || colon > eol || !isToken(text, pos, colon)) throw new HttpParseError(400, `invalid header line "${text.slice(pos, Math.min(eol, pos + 64))}"`);
    const name = text.slice(pos, colon).toLowerCase();
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (text.charCodeAt(vs) === 0x20 || text.charCodeAt(vs) === 0x09)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 0x20 || text.charCodeAt(ve - 1) === 0x09)) ve--;
    if (!isFieldValue(text, vs, ve)) throw new HttpParseError(400, `invalid characters in header "${name}"`);
    const value = text.slice(vs, ve);
    if (name === 'content-length') {
      if (!isDigits(value)) throw new HttpParseError(400, `invalid content-length "${value}"`);
      const n = Number(value);
      // Even an equal repeat is refused, as llhttp's strict mode does: two parsers in a chain
      // must never disagree on where a message ends.
      if (contentLength !== -1) throw new HttpParseError(400, 'more than one content-length header');
      contentLength = n;
    } else if (name === 'transfer-encoding') {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
    } else if (name === 'connection') {
      connection = connection === undefined ? value : `${connection}, ${value}`;
    }
    headers.push(name, value);
    pos = eol + 2;
  }
  let chunked = false;
  if (transferEncoding !== undefined) {
    // RFC 9112 6.3: when chunked is not the last coding the length is unknowable (400); chunked
    // after other codings is well-formed but not implemented here (501).
    if (transferEncoding.toLowerCase() !== 'chunked') {
      throw new HttpParseError(/,\s*chunked$/i.test(transferEncoding) ? 501 : 400, `unsupported transfer-encoding "${transferEncoding}"`);
    }
    // Both framings at once is the classic request-smuggling shape: refuse it.
    if (contentLength !== -1) throw new HttpParseError(400, 'both content-length and transfer-encoding');
    if (minorVersion === 0) throw new HttpParseError(400, 'transfer-encoding in an HTTP/1.0 message');
    chunked = true;
  }
  framing.contentLength = contentLength;
  framing.chunked = chunked;
  framing.keepAlive = minorVersion === 1 ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
  framing.minorVersion = minorVersion;
}

function minorVersionOf(version: string): number {
  if (version === 'HTTP/1.1') return 1;
  if (version === 'HTTP/1.0') return 0;
  if (/^HTTP\/\d\.\d$/.test(version)) throw new HttpParseError(505, `unsupported version "${version}"`);
  throw new HttpParseError(400, `invalid HTTP version "${version.slice(0, 16)}"`);
}

/** The end of the start line: the first CRLF, or the whole head when there are no fields. */
function startLineEnd(text: string): number {
  const eol = text.indexOf('\r\n');
  return eol === -1 ? text.length : eol;
}

/** Parses a request head; `end` is the index of the blank line's CRLFCRLF. */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  const text = buf.toString('latin1', start, end);
  const eol = startLineEnd(text);
  const sp1 = text.indexOf(' ');
  const sp2 = text.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 >= eol || text.lastIndexOf(' ', eol - 1) !== sp2) throw new HttpParseError(400, `invalid request line "${text.slice(0, Math.min(eol, 64))}"`);
  if (!isToken(text, 0, sp1)) throw new HttpParseError(400, 'invalid method');
  const method = text.slice(0, sp1);
  const path = text.slice(sp1 + 1, sp2);
  if (!isRequestTarget(path)) throw new HttpParseError(400, 'invalid request target');
  const minorVersion = minorVersionOf(text.slice(sp2 + 1, eol));
  const head: RequestHead = { method, path, headers: [], contentLength: -1, chunked: false, keepAlive: false, minorVersion };
  parseFields(text, eol + 2, minorVersion, head.headers, head);
  // RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0.
  let hosts = 0;
  for (let i = 0; i < head.headers.length; i += 2) if (head.headers[i] === 'host') hosts++;
  if (hosts > 1 || (hosts === 0 && minorVersion === 1)) throw new HttpParseError(400, hosts > 1 ? 'more than one host header' : 'missing host header');
  return head;
}

/** Parses a response head; `end` is the index of the blank line's CRLFCRLF. */
export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead {
  const text = buf.toString('latin1', start, end);
  const eol = startLineEnd(text);
  const statusLine = eol === text.length ? text : text.slice(0, eol);
  const sp1 = statusLine.indexOf(' ');
  if (sp1 <= 0) throw new HttpParseError(502, `invalid status line "${statusLine.slice(0, 64)}"`);
  const minorVersion = minorVersionOf(statusLine.slice(0, sp1));
  const code = statusLine.slice(sp1 + 1, sp1 + 4);
  const status = /^[1-9]\d\d$/.test(code) ? Number(code) : NaN;
  const after = statusLine.charCodeAt(sp1 + 4);
  if (Number.isNaN(status) || (statusLine.length > sp1 + 4 && after !== 0x20)) throw new HttpParseError(502, `invalid status line "${statusLine.slice(0, 64)}"`);
  if (!isFieldValue(statusLine, sp1 + 4, statusLine.length)) throw new HttpParseError(502, 'invalid characters in the status line');
  const reason = statusLine.slice(sp1 + 5);
  const head: ResponseHead = { status, reason, headers: [], contentLength: -1, chunked: false, keepAlive: false, minorVersion };
  parseFields(text, eol + 2, minorVersion, head.headers, head);
  return head;
}
