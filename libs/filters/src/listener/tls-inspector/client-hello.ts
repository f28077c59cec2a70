// Just enough of a TLS ClientHello (RFC 8446 4.1.2, RFC 6066 3, RFC 7301 3.1) to choose a filter
// chain: is it TLS at all, the server name (SNI) and the offered ALPN protocols.

export type ClientHelloResult =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'not-tls' }
  | { readonly kind: 'tls'; readonly serverName: string; readonly alpn: string[] };

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0;
const EXTENSION_ALPN = 16;
const RECORD_HEADER = 5;
/** Envoy gives up on ClientHellos past 64 KiB. */
export const MAX_CLIENT_HELLO = 64 * 1024;

const NEED_MORE: ClientHelloResult = { kind: 'need-more' };
const NOT_TLS: ClientHelloResult = { kind: 'not-tls' };

/** A bounds-checked reader: every read past the end throws, which the caller turns into "not TLS". */
class Reader {
  private offset = 0;
  private readonly data: Buffer;
  constructor(data: Buffer) {
    this.data = data;
  }
  get remaining(): number {
    return this.data.length - this.offset;
  }
  u8(): number {
    return this.bytes(1)[0];
  }
  u16(): number {
    return this.bytes(2).readUInt16BE(0);
  }
  bytes(n: number): Buffer {
    if (n > this.remaining) throw new RangeError('truncated');
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  /** A length-prefixed vector (`lengthBytes` of 1 or 2). */
  vector(lengthBytes: 1 | 2): Reader {
    return new Reader(this.bytes(lengthBytes === 1 ? this.u8() : this.u16()));
  }
}

/** The handshake bytes carried by the leading handshake records, or a verdict. */
function handshakeBytes(data: Buffer): Buffer | Exclude<ClientHelloResult, Buffer> {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] !== RECORD_HANDSHAKE) return offset === 0 ? NOT_TLS : Buffer.concat(parts);
    // Record versions are 3.x (SSL 3.0 up to TLS 1.3, which still says 3.1 or 3.3 here).
    if (offset + 1 < data.length && data[offset + 1] !== 3) return NOT_TLS;
    if (offset + RECORD_HEADER > data.length) break;
    const length = data.readUInt16BE(offset + 3);
    if (offset + RECORD_HEADER + length > data.length) {
      parts.push(data.subarray(offset + RECORD_HEADER));
      break;
    }
    parts.push(data.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + length));
    offset += RECORD_HEADER + length;
  }
  return Buffer.concat(parts);
}

/** Looks at the first bytes of a connection. "need-more" until a whole ClientHello is there. */
export function parseClientHello(data: Buffer): ClientHelloResult {
  if (data.length === 0) return NEED_MORE;
  if (data.length > MAX_CLIENT_HELLO + RECORD_HEADER * 16) return NOT_TLS;
  const handshake = handshakeBytes(data);
  if (!Buffer.isBuffer(handshake)) return handshake;
  if (handshake.length >= 1 && handshake[0] !== HANDSHAKE_CLIENT_HELLO) return NOT_TLS;
  if (handshake.length < 4) return NEED_MORE;
  const length = handshake.readUIntBE(1, 3);
  if (length > MAX_CLIENT_HELLO) return NOT_TLS;
  if (handshake.length < 4 + length) return NEED_MORE;
  try {
    return readClientHello(new Reader(handshake.subarray(4, 4 + length)));
  } catch {
    return NOT_TLS;
  }
}

function readClientHello(hello: Reader): ClientHelloResult {
  hello.bytes(2 + 32); // legacy_version, random
  hello.vector(1); // legacy_session_id
  hello.vector(2); // cipher_suites
  hello.vector(1); // legacy_compression_methods
  let serverName = '';
  const alpn: string[] = [];
  if (hello.remaining === 0) return { kind: 'tls', serverName, alpn };
  const extensions = hello.vector(2);
  while (extensions.remaining > 0) {
    const type = extensions.u16();
    const body = extensions.vector(2);
    if (type === EXTENSION_SERVER_NAME) {
      const names = body.vector(2);
      while (names.remaining > 0) {
        const nameType = names.u8();
        const name = names.vector(2);
        // host_name (0) is the only type defined; the name is ASCII.
        if (nameType === 0 && serverName === '') serverName = name.bytes(name.remaining).toString('latin1').toLowerCase();
      }
    } else if (type === EXTENSION_ALPN) {
      const list = body.vector(2);
      while (list.remaining > 0) {
        const protocol = list.vector(1);
        alpn.push(protocol.bytes(protocol.remaining).toString('latin1'));
      }
    }
  }
  return { kind: 'tls', serverName, alpn };
}
