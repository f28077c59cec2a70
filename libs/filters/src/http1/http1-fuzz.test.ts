import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyDecoder } from './body-decoder.ts';
import { CRLFCRLF, HttpParseError, parseRequestHead, parseResponseHead } from './http-head.ts';

// Property tests over the codec: whatever bytes arrive, parsing ends in a message, a wait for
// more bytes, or an HttpParseError carrying a status to answer with. Anything else thrown would
// reach the connection's catch-all and cost the client its connection for no reason.

const SEEDS = [
  'GET /a?b=c HTTP/1.1\r\nHost: h\r\nUser-Agent: x\r\n\r\n',
  'POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello',
  'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n',
  'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n',
];

const RESPONSE_SEEDS = [
  'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n',
  'HTTP/1.0 204 No Content\r\nConnection: close\r\n\r\n',
];

type Mutation = { at: number; byte: number; kind: 'insert' | 'delete' | 'replace' };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat({ max: 400 }),
  // Bias towards the bytes that matter to framing.
  byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0d, 0x0a, 0x20, 0x3a, 0x3b, 0x30, 0x00, 0x09, 0x22)),
  kind: fc.constantFrom('insert' as const, 'delete' as const, 'replace' as const),
});

function mutate(seed: string, mutations: readonly Mutation[]): Buffer {
  const bytes = [...Buffer.from(seed, 'latin1')];
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
    else if (m.kind === 'delete') bytes.splice(at, 1);
    else bytes[at] = m.byte;
  }
  return Buffer.from(bytes);
}

/** Parses a stream of messages as a server connection does; returns how it ended. */
function drive(input: Buffer, parse: typeof parseRequestHead | typeof parseResponseHead): string {
  let buf = input;
  const decoder = new BodyDecoder();
  try {
    for (let messages = 0; buf.length > 0; messages++) {
      const end = buf.indexOf(CRLFCRLF);
      if (end === -1) return 'incomplete';
      const head = parse(buf, 0, end);
      buf = buf.subarray(end + 4);
      decoder.start(head.contentLength, head.chunked, false);
      buf = buf.subarray(decoder.consume(buf, 0, buf.length, { onBodyData: () => {} }));
      if (!decoder.done) return 'incomplete';
    }
    return 'complete';
  } catch (err) {
    if (err instanceof HttpParseError && err.status >= 400 && err.status < 600) return `error ${err.status}`;
    throw err;
  }
}

const input = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([seed, ms]) => mutate(seed, ms)),
);

describe('HTTP/1.1 codec under random and mutated input', () => {
  it('requests end parsed, incomplete, or in an HttpParseError', () => {
    fc.assert(fc.property(input, (bytes) => {
      expect(drive(bytes, parseRequestHead)).toMatch(/^(complete|incomplete|error [45]\d\d)$/);
    }), { numRuns: 2000 });
  });

  it('responses too', () => {
    const responses = fc.tuple(fc.constantFrom(...RESPONSE_SEEDS), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([seed, ms]) => mutate(seed, ms));
    fc.assert(fc.property(responses, (bytes) => {
      expect(drive(bytes, parseResponseHead)).toMatch(/^(complete|incomplete|error [45]\d\d)$/);
    }), { numRuns: 2000 });
  });

  it('a seed without mutation parses whole', () => {
    for (const seed of SEEDS) expect(drive(Buffer.from(seed, 'latin1'), parseRequestHead)).toBe('complete');
  });
});
