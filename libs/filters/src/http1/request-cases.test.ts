import { describe, expect, it } from 'vitest';
import { BodyDecoder } from './body-decoder.ts';
import { CRLFCRLF, HttpParseError, parseRequestHead } from './http-head.ts';

// The classes of llhttp's request cases (test/request: content-length, transfer-encoding,
// invalid, pipelining), written as our own table: what llhttp rejects in strict mode, the codec
// rejects, and what it accepts frames the same way. Each input is a whole byte stream, parsed
// as the server connection does: head, body, next head.

type Message = [method: string, path: string, body: string];
type Outcome = { messages: Message[]; error?: number; incomplete?: boolean };

function parseStream(text: string): Outcome {
  let buf = Buffer.from(text, 'latin1');
  const messages: Message[] = [];
  const decoder = new BodyDecoder();
  try {
    while (buf.length > 0) {
      const end = buf.indexOf(CRLFCRLF);
      if (end === -1) return { messages, incomplete: true };
      const head = parseRequestHead(buf, 0, end);
      buf = buf.subarray(end + 4);
      const body: Buffer[] = [];
      decoder.start(head.contentLength, head.chunked, false);
      buf = buf.subarray(decoder.consume(buf, 0, buf.length, { onBodyData: (d) => body.push(d) }));
      if (!decoder.done) return { messages, incomplete: true };
      messages.push([head.method, head.path, Buffer.concat(body).toString('latin1')]);
    }
  } catch (err) {
    if (err instanceof HttpParseError) return { messages, error: err.status };
    throw err;
  }
  return { messages };
}

const H = 'Host: h\r\n';
const ok = (...messages: Message[]): Outcome => ({ messages });
const rejected = (status = 400): Outcome => ({ messages: [], error: status });

const cases: Record<string, [name: string, input: string, expected: Outcome][]> = {
  'content-length': [
    ['a plain length', `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\nbody`, ok(['POST', '/', 'body'])],
    ['leading zeroes', `POST / HTTP/1.1\r\n${H}Content-Length: 003\r\n\r\nabc`, ok(['POST', '/', 'abc'])],
    ['spaces around the value', `POST / HTTP/1.1\r\n${H}Content-Length:  2 \r\n\r\nab`, ok(['POST', '/', 'ab'])],
    ['a zero length then the next request', `POST / HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\nGET /n HTTP/1.1\r\n${H}\r\n`, ok(['POST', '/', ''], ['GET', '/n', ''])],
    ['an empty value', `POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`, rejected()],
    ['a space inside the number', `POST / HTTP/1.1\r\n${H}Content-Length: 4 2\r\n\r\n`, rejected()],
    ['a sign', `POST / HTTP/1.1\r\n${H}Content-Length: +4\r\n\r\nbody`, rejected()],
    ['an overflowing number', `POST / HTTP/1.1\r\n${H}Content-Length: 1000000000000000000000\r\n\r\n`, rejected()],
    ['the same value twice', `POST / HTTP/1.1\r\n${H}Content-Length: 2\r\nContent-Length: 2\r\n\r\nab`, rejected()],
    ['two different values', `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`, rejected()],
    ['a list of values', `POST / HTTP/1.1\r\n${H}Content-Length: 2, 2\r\n\r\nab`, rejected()],
    ['whitespace before the colon', `POST / HTTP/1.1\r\n${H}Content-Length : 2\r\n\r\nab`, rejected()],
    ['with Transfer-Encoding: chunked', `POST / HTTP/1.1\r\n${H}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, rejected()],
    ['with Transfer-Encoding: identity', `POST / HTTP/1.1\r\n${H}Content-Length: 2\r\nTransfer-Encoding: identity\r\n\r\nab`, rejected()],
    ['a body shorter than the length', `POST / HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nab`, { messages: [], incomplete: true }],
  ],
  'transfer-encoding': [
    ['chunks with lowercase and uppercase sizes', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n`, ok(['POST', '/', '0123456789abcdefghij'])],
    ['a zero-prefixed last chunk', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n000\r\n\r\n`, ok(['POST', '/', 'ab'])],
    ['trailer fields', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nVary: *\r\nX-T: 1\r\n\r\n`, ok(['POST', '/', 'x'])],
    ['chunk extensions', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=b;c\r\nabc\r\n0;last\r\n\r\n`, ok(['POST', '/', 'abc'])],
    ['a case-insensitive coding name', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n`, ok(['POST', '/', ''])],
    ['quoted chunk extensions', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1 ; a = "b; \\"c\\"" ;d\r\nx\r\n0\r\n\r\n`, ok(['POST', '/', 'x'])],
    ['a semicolon with no extension', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2;\r\nab\r\n0\r\n\r\n`, rejected()],
    ['an unbalanced quote in an extension', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2;a="b\r\nab\r\n0\r\n\r\n`, rejected()],
    ['an extension value that is not a token', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2;a=b c\r\nab\r\n0\r\n\r\n`, rejected()],
    ['no semicolon before an extension', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2 erfrferferf\r\nab\r\n0\r\n\r\n`, rejected()],
    ['a chunk size that is not hex', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n`, rejected()],
    ['a chunk size overflow', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nab\r\n0\r\n\r\n`, rejected()],
    ['chunk data not ended by CRLF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n`, rejected()],
    ['a chunk size line ended by a bare LF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n`, rejected()],
    ['an unknown coding alone', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: pigeons\r\n\r\n`, rejected()],
    ['chunked before another coding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, deflate\r\n\r\n0\r\n\r\n`, rejected()],
    ['chunked then another coding in a second field', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: deflate\r\n\r\n0\r\n\r\n`, rejected()],
    ['chunkedchunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunkedchunked\r\n\r\n0\r\n\r\n`, rejected()],
    ['an empty coding with a length', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\nContent-Length: 1\r\n\r\na`, rejected()],
    ['obs-fold after chunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n  abc\r\n\r\n0\r\n\r\n`, rejected()],
    ['chunked in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', rejected()],
    ['a missing last chunk', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n`, { messages: [], incomplete: true }],
  ],
  invalid: [
    ['another protocol', `GET /music/sweet/music ICE/1.0\r\n${H}\r\n`, rejected()],
    ['RTSP', `PUT /music/sweet/music RTSP/1.0\r\n${H}\r\n`, rejected()],
    ['an unsupported HTTP version', `GET / HTTP/1.2\r\n${H}\r\n`, rejected(505)],
    ['headers separated by CR alone', `GET / HTTP/1.1\r\n${H}Foo: 1\rBar: 2\r\n\r\n`, rejected()],
    ['headers separated by LF alone', `GET / HTTP/1.1\r\n${H}Foo: 1\nBar: 2\r\n\r\n`, rejected()],
    ['a control character in a header name', `GET / HTTP/1.1\r\n${H}Fo\x01o: 1\r\n\r\n`, rejected()],
    ['a control character in a header value', `GET / HTTP/1.1\r\n${H}Foo: \x7f\r\n\r\n`, rejected()],
    ['NUL in a header value', `GET / HTTP/1.1\r\n${H}Foo: a\0\r\n\r\n`, rejected()],
    ['an empty header name', `GET / HTTP/1.1\r\n${H}: 2\r\n\r\n`, rejected()],
    ['a space in a header name', `GET / HTTP/1.1\r\n${H}Fo o: 2\r\n\r\n`, rejected()],
    ['spaces before the first header', `GET / HTTP/1.1\r\n Host: h\r\n\r\n`, rejected()],
    ['a header line without colon', `GET / HTTP/1.1\r\n${H}Foo\r\n\r\n`, rejected()],
    ['a control character in the target', `GET /\x01 HTTP/1.1\r\n${H}\r\n`, rejected()],
    ['a missing target', `GET  HTTP/1.1\r\n${H}\r\n`, rejected()],
    ['a method that is not a token', `G@T / HTTP/1.1\r\n${H}\r\n`, rejected()],
    ['a leading space on the request line', ` GET / HTTP/1.1\r\n${H}\r\n`, rejected()],
    ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n', rejected()],
    ['two Host fields', `GET / HTTP/1.1\r\n${H}${H}\r\n`, rejected()],
  ],
  pipelining: [
    ['three requests in one read', `GET /1 HTTP/1.1\r\n${H}\r\nPOST /2 HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\n${H}\r\n`,
      ok(['GET', '/1', ''], ['POST', '/2', 'abc'], ['GET', '/3', ''])],
    ['a chunked request then another', `POST /1 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\nGET /2 HTTP/1.1\r\n${H}\r\n`,
      ok(['POST', '/1', 'a'], ['GET', '/2', ''])],
    ['a good request then a bad one', `GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}Content-Length: x\r\n\r\n`,
      { messages: [['GET', '/1', '']], error: 400 }],
  ],
};

describe.each(Object.entries(cases))('HTTP/1.1 request cases: %s', (_group, table) => {
  it.each(table)('%s', (_name, input, expected) => {
    expect(parseStream(input)).toEqual(expected);
  });
});
