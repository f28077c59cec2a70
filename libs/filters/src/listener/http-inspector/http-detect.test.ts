import { describe, expect, it } from 'vitest';
import { detectHttp, MAX_INSPECT } from './http-detect.ts';

const detect = (text: string) => detectHttp(Buffer.from(text, 'latin1'));

describe('detectHttp', () => {
  it('recognises HTTP/1.1 and HTTP/1.0 request lines', () => {
    expect(detect('GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n')).toBe('http/1.1');
    expect(detect('POST /x HTTP/1.0\r\n')).toBe('http/1.0');
    expect(detect('CUSTOM-METHOD * HTTP/1.1\r\n')).toBe('http/1.1');
  });

  it('recognises the HTTP/2 preface, and waits for all of it', () => {
    expect(detect('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')).toBe('h2c');
    expect(detect('PRI * HTTP/2.0\r\n')).toBe('need-more');
  });

  it('waits for the end of the request line', () => {
    expect(detect('GET /slow')).toBe('need-more');
    expect(detect('')).toBe('need-more');
  });

  it('gives up on what cannot be HTTP, early when the method is impossible', () => {
    expect(detect('\x16\x03\x01\x02\x00')).toBe('none');
    expect(detect('hello world\r\n')).toBe('none');
    expect(detect('GET / HTTP/2.0\r\n')).toBe('none');
    expect(detect(`GET /${'a'.repeat(MAX_INSPECT)}`)).toBe('none');
  });
});
