// Recognises the start of a cleartext HTTP connection: the HTTP/2 connection preface (h2c with
// prior knowledge, RFC 9113 3.4) or an HTTP/1.x request line (RFC 9112 3).

export type HttpDetection = 'need-more' | 'h2c' | 'http/1.1' | 'http/1.0' | 'none';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Envoy's http_inspector looks at most this far for the end of the request line. */
export const MAX_INSPECT = 8 * 1024;
// tchar of RFC 9110 5.6.2: what a method is made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) [^\s]+ HTTP\/1\.([01])$/;

export function detectHttp(data: Buffer): HttpDetection {
  const prefaceLength = Math.min(data.length, H2_PREFACE.length);
  if (data.subarray(0, prefaceLength).equals(H2_PREFACE.subarray(0, prefaceLength))) {
    return prefaceLength === H2_PREFACE.length ? 'h2c' : 'need-more';
  }
  const end = data.indexOf('\r\n');
  if (end === -1) {
    // Give up early when even the method cannot be one.
    const space = data.indexOf(' ');
    const method = data.subarray(0, space === -1 ? data.length : space).toString('latin1');
    if (method.length > 0 && !TOKEN.test(method)) return 'none';
    return data.length >= MAX_INSPECT ? 'none' : 'need-more';
  }
  const match = REQUEST_LINE.exec(data.subarray(0, end).toString('latin1'));
  if (!match) return 'none';
  return match[2] === '1' ? 'http/1.1' : 'http/1.0';
}
