import { describe, expect, it } from 'vitest';
import { CRLFCRLF, HttpParseError, parseRequestHead, parseResponseHead } from './http-head.ts';

function request(text: string) {
  const buf = Buffer.from(text, 'latin1');
  return parseRequestHead(buf, 0, buf.indexOf(CRLFCRLF));
}

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpParseError) return err.status;
    throw err;
  }
  return 0;
}

describe('parseRequestHead', () => {
  it('reads the request line, lowercases header names and keeps their order', () => {
    const head = request('GET /a?b=1 HTTP/1.1\r\nHost: Example.com\r\nX-Thing:  v  \r\nx-thing: w\r\n\r\n');
    expect(head).toMatchObject({ method: 'GET', path: '/a?b=1', minorVersion: 1, keepAlive: true, contentLength: -1, chunked: false });
    expect(head.headers).toEqual(['host', 'Example.com', 'x-thing', 'v', 'x-thing', 'w']);
  });

  it('reads a head with no header lines, and trims spaces and tabs around values', () => {
    expect(request('GET / HTTP/1.0\r\n\r\n')).toMatchObject({ method: 'GET', path: '/', headers: [] });
    expect(request('GET / HTTP/1.1\r\nHost: h\r\nA:\t x \t\r\nB:\r\n\r\n').headers).toEqual(['host', 'h', 'a', 'x', 'b', '']);
  });

  it('works out framing and keep-alive', () => {
    expect(request('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n').contentLength).toBe(12);
    expect(request('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n').chunked).toBe(true);
    expect(request('GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n').keepAlive).toBe(false);
    expect(request('GET / HTTP/1.0\r\n\r\n').keepAlive).toBe(false);
    expect(request('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').keepAlive).toBe(true);
  });

  it('answers 431 past 100 headers', () => {
    expect(status(() => request(`GET / HTTP/1.1\r\nHost: h\r\n${'a: b\r\n'.repeat(100)}\r\n`))).toBe(431);
    expect(request(`GET / HTTP/1.1\r\nHost: h\r\n${'a: b\r\n'.repeat(99)}\r\n`).headers).toHaveLength(200);
  });

  it.each([
    ['a request line with extra parts', 'GET / x HTTP/1.1\r\n\r\n', 400],
    ['a missing version', 'GET /\r\n\r\n', 400],
    ['an unknown version', 'GET / HTTP/2.0\r\n\r\n', 505],
    ['garbage for a version', 'GET / FOO\r\n\r\n', 400],
    ['a bad method', 'G(T / HTTP/1.1\r\n\r\n', 400],
    ['a header without colon', 'GET / HTTP/1.1\r\nNoColon\r\n\r\n', 400],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400],
    ['line folding', 'GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n', 400],
    ['a control character in a value', 'GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n', 400],
    ['a bare LF', 'GET / HTTP/1.1\r\nA: b\nB: c\r\n\r\n', 400],
    ['a non-numeric length', 'POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n', 400],
    ['conflicting lengths', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400],
    ['both length and chunked', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['a transfer coding not ending in chunked', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n', 400],
    ['an unknown transfer coding before chunked', 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
    ['no Host in HTTP/1.1', 'GET / HTTP/1.1\r\nA: b\r\n\r\n', 400],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
    ['chunked in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
  ])('rejects %s', (_name, text, expected) => {
    expect(status(() => request(text))).toBe(expected);
  });
});

describe('parseResponseHead', () => {
  function response(text: string) {
    const buf = Buffer.from(text, 'latin1');
    return parseResponseHead(buf, 0, buf.indexOf(CRLFCRLF));
  }

  it('reads status, reason and framing', () => {
    expect(response('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ status: 404, reason: 'Not Found', contentLength: 0 });
    expect(response('HTTP/1.1 204\r\n\r\n')).toMatchObject({ status: 204, reason: '' });
  });

  it('answers 502 for a malformed status line', () => {
    expect(status(() => response('HTTP/1.1 2000 OK\r\n\r\n'))).toBe(502);
    expect(status(() => response('HTTP/1.1 abc\r\n\r\n'))).toBe(502);
    expect(status(() => response('HTTP/1.1 200 O\nK\r\n\r\n'))).toBe(502);
  });
});
