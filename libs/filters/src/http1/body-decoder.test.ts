import { describe, expect, it } from 'vitest';
import { BodyDecoder } from './body-decoder.ts';
import { HttpParseError } from './http-head.ts';

function decode(decoder: BodyDecoder, pieces: string[]): { body: string; used: number[] } {
  let body = '';
  const used: number[] = [];
  const sink = { onBodyData: (d: Buffer) => (body += d.toString('latin1')) };
  for (const p of pieces) {
    const buf = Buffer.from(p, 'latin1');
    used.push(decoder.consume(buf, 0, buf.length, sink));
  }
  return { body, used };
}

describe('BodyDecoder', () => {
  it('stops at Content-Length and leaves the next message alone', () => {
    const d = new BodyDecoder();
    d.start(5, false, false);
    const { body, used } = decode(d, ['hel', 'loGET /']);
    expect(body).toBe('hello');
    expect(used).toEqual([3, 2]);
    expect(d.done).toBe(true);
  });

  it('decodes chunked bodies split anywhere, with extensions and trailers', () => {
    const wire = '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT';
    for (let split = 1; split < wire.length - 4; split++) {
      const d = new BodyDecoder();
      d.start(-1, true, false);
      const { body, used } = decode(d, [wire.slice(0, split), wire.slice(split)]);
      expect(body).toBe('hello world');
      expect(d.done).toBe(true);
      expect(used[0] + used[1]).toBe(wire.length - 4);
    }
  });

  it('reads until close when a response has no framing', () => {
    const d = new BodyDecoder();
    d.start(-1, false, true);
    expect(d.untilClose).toBe(true);
    expect(decode(d, ['abc', 'def']).body).toBe('abcdef');
  });

  it('treats a request without framing as having no body', () => {
    const d = new BodyDecoder();
    d.start(-1, false, false);
    expect(d.done).toBe(true);
  });

  it.each([['a bad chunk size', 'zz\r\n'], ['a missing CRLF after data', '3\r\nabcX\r\n'], ['a bare LF', '3\nabc']])('rejects %s', (_n, wire) => {
    const d = new BodyDecoder();
    d.start(-1, true, false, 400);
    expect(() => decode(d, [wire])).toThrow(HttpParseError);
  });
  it('keeps the trailers of a chunked body, and refuses malformed ones', () => {
    const d = new BodyDecoder();
    d.start(-1, true, false, 502);
    const { body } = decode(d, ['3\r\nabc\r\n0\r\nGrpc-Status: 0\r\n', 'grpc-message:  all good \r\n\r\n']);
    expect(body).toBe('abc');
    expect(d.trailers).toEqual(['grpc-status', '0', 'grpc-message', 'all good']);
    d.start(-1, true, false, 502);
    expect(d.trailers).toBeUndefined();
    decode(d, ['0\r\n\r\n']);
    expect(d.trailers).toBeUndefined();
    d.start(-1, true, false, 502);
    expect(() => decode(d, ['0\r\nno colon here\r\n\r\n'])).toThrow(HttpParseError);
    d.start(-1, true, false, 502);
    expect(() => decode(d, ['0\r\nx: a\x00b\r\n\r\n'])).toThrow('invalid trailer line');
  });
});
