// HTTP/2 attacks by hand-written frames on a raw socket: rapid reset, CONTINUATION flood,
// streams past max_concurrent_streams. Each must end as Envoy ends it, and the proxy serves on.
import { EventEmitter, once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect as connectH2 } from 'node:http2';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, staticCluster } from '../test/bootstrap-builder.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';

// RFC 9113 frame types, flags and error codes the tests use.
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const GOAWAY = 0x7;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const CANCEL = 0x8;
const REFUSED_STREAM = 0x7;
const ENHANCE_YOUR_CALM = 0xb;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

interface Frame { type: number; flags: number; streamId: number; payload: Buffer }

/** A frame: 9-byte header (length, type, flags, stream id), then the payload. */
function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK string literal, not Huffman-coded (lengths below 127 fit the 7-bit prefix). */
function literal(value: string): Buffer {
  return Buffer.concat([Buffer.from([value.length]), Buffer.from(value, 'latin1')]);
}

/** GET `path` for svc.local: indexed :method GET and :scheme http, literal :path and :authority
 *  (static-table names 4 and 1, without indexing). */
function requestBlock(path: string): Buffer {
  return Buffer.concat([Buffer.from([0x82, 0x86, 0x04]), literal(path), Buffer.from([0x01]), literal('svc.local')]);
}

/** A header field with a new name, without indexing: what a CONTINUATION flood repeats. */
function header(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), literal(name), literal(value)]);
}

function rstStream(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(RST_STREAM, 0, streamId, payload);
}

/** A raw HTTP/2 client: writes frames, reads back the server's frames. */
class FrameClient {
  readonly frames: Frame[] = [];
  readonly socket: Socket;
  readonly closed: Promise<void>;
  private buffer = Buffer.alloc(0);
  private readonly waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('error', () => {});
    this.socket.on('data', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      while (this.buffer.length >= 9) {
        const length = this.buffer.readUIntBE(0, 3);
        if (this.buffer.length < 9 + length) break;
        this.frames.push({ type: this.buffer[3], flags: this.buffer[4], streamId: this.buffer.readUInt32BE(5) & 0x7fffffff, payload: this.buffer.subarray(9, 9 + length) });
        this.buffer = this.buffer.subarray(9 + length);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = once(this.socket, 'close').then(() => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Preface and an empty SETTINGS, as every client starts. */
  start(): void {
    this.socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]));
  }

  write(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** The first frame that matches, or undefined once the connection closed without one. */
  async waitFor(match: (f: Frame) => boolean): Promise<Frame | undefined> {
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined || this.socket.destroyed) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

const goawayCode = (f: Frame): number => f.payload.readUInt32BE(4);

/** `streams` requests, each reset (CANCEL) right after its HEADERS: CVE-2023-44487. */
function rapidReset(streams: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < streams; i++) {
    const id = 2 * i + 1;
    frames.push(frame(HEADERS, END_HEADERS | END_STREAM, id, requestBlock(`/attack/${i}`)), rstStream(id, CANCEL));
  }
  return Buffer.concat(frames);
}

let upstream: HttpServer;
/** Emits 'body' with "PATH BODY" for each request the upstream has read in full. */
const bodies = new EventEmitter();
let proxy: ProxyServer;
let port: number;
let limitedPort: number;

beforeAll(async () => {
  // Answers /ok; holds everything else until the test ends, as a slow service would.
  upstream = createHttpServer((req, res) => {
    if (req.url === '/ok') res.end('ok');
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => bodies.emit('body', `${req.url} ${body}`));
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  [port, limitedPort] = [await freePort(), await freePort()];
  const routes = { route_config: { name: 'r', virtual_hosts: [{ name: 'svc', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] }] } };
  const limited = httpFilter('limited', routes) as { typed_config: object };
  proxy = new ProxyServer(compileBootstrap({
    static_resources: {
      listeners: [
        listener('h2', port, [httpFilter('h2', routes)]),
        listener('limited', limitedPort, [{ ...limited, typed_config: { ...limited.typed_config, http2_protocol_options: { max_concurrent_streams: 2 } } }]),
      ],
      clusters: [staticCluster('backend', [{ port: (upstream.address() as AddressInfo).port }])],
    },
  }), { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.closeAllConnections();
  upstream.close();
});

/** The proxy still answers on the listener after an attack on it. */
async function stillServes(): Promise<void> {
  const session = connectH2(`http://127.0.0.1:${port}`);
  const stream = session.request({ ':path': '/ok', ':authority': 'svc.local' });
  stream.setEncoding('utf8');
  let body = '';
  stream.on('data', (d: string) => (body += d));
  await once(stream, 'end');
  session.close();
  expect(body).toBe('ok');
}

describe('HTTP/2 hardening', () => {
  it('closes a connection whose client resets most streams it opens (Envoy premature resets)', async () => {
    const before = proxy.stats.counter('http.h2.downstream_rq_too_many_premature_resets').value;
    const client = new FrameClient(port);
    client.start();
    // Fewer than nghttp2's own reset burst (1000): the proxy's rule has to catch these.
    client.write(rapidReset(300));
    const goaway = await client.waitFor((f) => f.type === GOAWAY);
    await client.closed;
    expect(goaway === undefined ? undefined : goawayCode(goaway)).toBe(ENHANCE_YOUR_CALM);
    expect(proxy.stats.counter('http.h2.downstream_rq_too_many_premature_resets').value).toBe(before + 1);
    expect(proxy.stats.gauge('http.h2.downstream_rq_active').value).toBe(0);
    await stillServes();
  });

  it('ends a rapid reset burst with GOAWAY before it gets through, nothing left open', async () => {
    const total = proxy.stats.counter('http.h2.downstream_rq_http2_total');
    const before = total.value;
    const client = new FrameClient(port);
    client.start();
    const streams = 5000;
    client.write(rapidReset(streams));
    const goaway = await client.waitFor((f) => f.type === GOAWAY);
    await client.closed;
    expect(goaway?.type).toBe(GOAWAY);
    // nghttp2's reset rate limit (node's streamResetBurst) cut the connection mid-burst.
    expect(total.value - before).toBeLessThan(streams);
    expect(proxy.stats.gauge('http.h2.downstream_rq_active').value).toBe(0);
    await stillServes();
  });

  it('cuts off a CONTINUATION flood', async () => {
    const total = proxy.stats.counter('http.h2.downstream_rq_http2_total');
    const before = total.value;
    const client = new FrameClient(port);
    client.start();
    const flood: Buffer[] = [frame(HEADERS, END_STREAM, 1, requestBlock('/flood'))];
    for (let i = 0; i < 10_000; i++) flood.push(frame(CONTINUATION, 0, 1, header(`x-flood-${i}`, 'a')));
    client.write(Buffer.concat(flood));
    const goaway = await client.waitFor((f) => f.type === GOAWAY);
    await client.closed;
    expect(goaway?.type).toBe(GOAWAY);
    // nghttp2 stops at a few CONTINUATION frames: the request never reached the filters.
    expect(total.value).toBe(before);
    await stillServes();
  });

  it('refuses streams past max_concurrent_streams with REFUSED_STREAM', async () => {
    const client = new FrameClient(limitedPort);
    client.start();
    // Three requests with bodies still to come, sent before the client has seen the server's
    // SETTINGS: the third is past the limit of two.
    client.write(Buffer.concat([1, 3, 5].map((id) => frame(HEADERS, END_HEADERS, id, requestBlock(`/open/${id}`)))));
    const refused = await client.waitFor((f) => f.type === RST_STREAM);
    expect(refused?.streamId).toBe(5);
    expect(refused?.payload.readUInt32BE(0)).toBe(REFUSED_STREAM);
    const settings = client.frames.find((f) => f.type === SETTINGS && f.flags === 0) as Frame;
    // SETTINGS_MAX_CONCURRENT_STREAMS (3) = 2 among the server's settings.
    const entries = new Map<number, number>();
    for (let i = 0; i + 6 <= settings.payload.length; i += 6) entries.set(settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2));
    expect(entries.get(3)).toBe(2);
    // The two admitted streams go on: their bodies reach the upstream.
    const seen: string[] = [];
    const both = new Promise<void>((resolve) => {
      const onBody = (line: string): void => {
        if (line.startsWith('/open/')) seen.push(line);
        if (seen.length < 2) return;
        bodies.off('body', onBody);
        resolve();
      };
      bodies.on('body', onBody);
    });
    client.write(Buffer.concat([frame(DATA, END_STREAM, 1, Buffer.from('x')), frame(DATA, END_STREAM, 3, Buffer.from('y'))]));
    await both;
    expect(seen.sort()).toEqual(['/open/1 x', '/open/3 y']);
    expect(client.frames.some((f) => f.type === GOAWAY)).toBe(false);
    client.socket.destroy();
    await client.closed;
  });
});
