import { describe, expect, it } from 'vitest';
import { HttpParseError } from '../../http1/http-head.ts';
import { startsWithPreface } from './codec-selection.ts';
import { compileHttp2Options, DEFAULT_HTTP2_OPTIONS } from './http2-protocol-options.ts';
import { requestHeadFromHttp2 } from './http2-server-stream.ts';

const base = [':method', 'GET', ':scheme', 'https', ':path', '/a?b=1', ':authority', 'svc.local:8080'];

describe('requestHeadFromHttp2', () => {
  it('turns pseudo-headers into an HTTP/1.1 request head, :authority into Host', () => {
    const head = requestHeadFromHttp2([...base, 'user-agent', 'h2', 'cookie', 'a=1', 'cookie', 'b=2'], true);
    expect(head).toEqual({
      method: 'GET', path: '/a?b=1', headers: ['host', 'svc.local:8080', 'user-agent', 'h2', 'cookie', 'a=1; b=2'],
      contentLength: -1, chunked: false, keepAlive: true, minorVersion: 1,
    });
  });

  it('frames a body of unknown length as chunked, and keeps a declared length', () => {
    expect(requestHeadFromHttp2(base, false).chunked).toBe(true);
    const sized = requestHeadFromHttp2([...base, 'content-length', '5'], false);
    expect(sized).toMatchObject({ chunked: false, contentLength: 5 });
  });

  it('lets :authority win over a Host header, and takes Host when there is no :authority', () => {
    expect(requestHeadFromHttp2([...base, 'host', 'other'], true).headers).toEqual(['host', 'svc.local:8080']);
    expect(requestHeadFromHttp2([':method', 'GET', ':path', '/', 'host', 'h.local'], true).headers).toEqual(['host', 'h.local']);
  });

  it.each([
    ['CONNECT', [':method', 'CONNECT', ':authority', 'a:443'], true, /CONNECT/],
    ['extended CONNECT', [...base, ':protocol', 'websocket'], false, /:protocol/],
    ['no :path', [':method', 'GET', ':authority', 'a'], true, /:path/],
    ['a bad content-length', [...base, 'content-length', '1x'], false, /content-length/],
    ['differing content-lengths', [...base, 'content-length', '1', 'content-length', '2'], false, /content-length/],
    ['a content-length on a request that ended with its headers', [...base, 'content-length', '3'], true, /no body/],
  ])('refuses %s with 400', (_name, raw, endStream, message) => {
    const parse = (): unknown => requestHeadFromHttp2(raw as string[], endStream as boolean);
    expect(parse).toThrow(HttpParseError);
    expect(parse).toThrow(message as RegExp);
  });
});

describe('startsWithPreface', () => {
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  it('waits on a proper prefix, says yes to the whole preface and no to anything else', () => {
    expect(startsWithPreface(preface.subarray(0, 10))).toBeUndefined();
    expect(startsWithPreface(Buffer.concat([preface, Buffer.from([0, 0, 0, 4])]))).toBe(true);
    expect(startsWithPreface(Buffer.from('GET / HTTP/1.1\r\n'))).toBe(false);
    expect(startsWithPreface(Buffer.from('PRI * HTTP/1.1\r\n'))).toBe(false);
  });
});

describe('compileHttp2Options', () => {
  it("takes Envoy's defaults and the fields node can honour", () => {
    expect(compileHttp2Options(undefined, 'p')).toBe(DEFAULT_HTTP2_OPTIONS);
    expect(compileHttp2Options({ max_concurrent_streams: 7, initial_stream_window_size: 65535, hpack_table_size: 0 }, 'p')).toMatchObject({
      maxConcurrentStreams: 7, initialStreamWindowSize: 65535, hpackTableSize: 0, initialConnectionWindowSize: 268435456,
    });
  });

  it('refuses what it cannot honour, naming the field', () => {
    expect(() => compileHttp2Options({ connection_keepalive: { interval: '1s' } }, 'hcm.http2_protocol_options')).toThrow('hcm.http2_protocol_options.connection_keepalive');
    expect(() => compileHttp2Options({ allow_connect: true }, 'p')).toThrow('p.allow_connect');
    expect(() => compileHttp2Options({ initial_stream_window_size: 1000 }, 'p')).toThrow('p.initial_stream_window_size');
  });
});
