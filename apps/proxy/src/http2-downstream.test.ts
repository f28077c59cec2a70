// HTTP/2 from clients (h2c with prior knowledge, h2 over TLS by ALPN) through the proxy to
// HTTP/1.1 and HTTP/2 upstreams, with node:http2 as the client.
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { connect, createServer as createH2Server, type ClientHttp2Session, type Http2Server, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { FILE_ACCESS_LOG_TYPE_URL, flushAccessLogs } from '@mizzen/filters';
import { httpFilter, listener, staticCluster } from '../test/bootstrap-builder.ts';
import { RawHttpClient } from '../test/raw-http-client.ts';
import { createTestPki, type TestPki } from '../test/test-certificates.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';

const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const HTTP_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HTTP_INSPECTOR = { name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } };

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; body: string }

let pki: TestPki;
let upstream: HttpServer;
let grpcUpstream: Http2Server;
let proxy: ProxyServer;
let h2cPort: number;
let tlsPort: number;
let idlePort: number;
let slowRequestPort: number;
let http1OnlyPort: number;
let http2OnlyPort: number;
let inspectedPort: number;
let logDir: string;
const seen: Seen[] = [];
/** Requests the upstream holds until a test lets them go. */
const held = new Map<string, () => void>();
const arrivals = new EventEmitter();

function listen(server: HttpServer | Http2Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => (server.address() as AddressInfo).port);
}

beforeAll(async () => {
  pki = await createTestPki();
  const cert = await pki.issue('proxy', ['DNS:proxy.local']);
  logDir = mkdtempSync(join(tmpdir(), 'mizzen-h2-'));
  upstream = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = (): void => {
        // Connection-level fields an HTTP/1.1 upstream may send: none may reach an h2 client.
        res.setHeader('keep-alive', 'timeout=5');
        res.setHeader('x-upstream', 'yes');
        if (req.url === '/trailers') {
          // No content-length: chunked, so that trailers can follow the last chunk.
          res.write('checked body');
          res.addTrailers({ 'x-checksum': '42' });
          res.end();
          return;
        }
        if (req.url === '/big') {
          // 2 MiB in 64 KiB writes, each after the last drained: back-pressure end to end.
          let left = 32;
          const more = (): void => {
            while (left > 0) {
              left--;
              if (!res.write(Buffer.alloc(65536, 'b'))) return void res.once('drain', more);
            }
            res.end();
          };
          more();
          return;
        }
        if (req.url?.startsWith('/stream')) {
          res.write('part1,');
          res.end('part2');
          return;
        }
        res.end(`${req.method} ${req.url} ${body}`);
      };
      if (req.url?.startsWith('/hold/')) {
        held.set(req.url, answer);
        arrivals.emit('held', req.url);
      }
      else answer();
    });
  });
  grpcUpstream = createH2Server();
  grpcUpstream.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'fine' }));
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  });
  const [upstreamPort, grpcPort] = [await listen(upstream), await listen(grpcUpstream)];
  [h2cPort, tlsPort, idlePort, slowRequestPort, http1OnlyPort, http2OnlyPort, inspectedPort] = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => freePort()));
  const routes = { name: 'r', virtual_hosts: [{ name: 'svc', domains: ['svc.local', 'svc.local:*'], routes: [
    { match: { prefix: '/direct' }, direct_response: { status: 201, body: { inline_string: 'made here' } } },
    { match: { prefix: '/grpc' }, route: { cluster: 'grpc' } },
    { match: { prefix: '/' }, route: { cluster: 'backend' } },
  ] }] };
  const hcm = (prefix: string, extra: object = {}): Record<string, unknown> => {
    const filter = httpFilter(prefix, { route_config: routes }) as { typed_config: object };
    const log = { name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path: join(logDir, `${prefix}.log`), log_format: { text_format_source: { inline_string: '%REQ(:PATH)% %PROTOCOL% %RESPONSE_CODE% %RESPONSE_FLAGS%\n' } } } };
    return { ...filter, typed_config: { ...filter.typed_config, access_log: [log], ...extra } };
  };
  const tls = { name: 'envoy.transport_sockets.tls', typed_config: { '@type': DOWNSTREAM_TLS, common_tls_context: {
    tls_certificates: [{ certificate_chain: { inline_string: cert.cert }, private_key: { inline_string: cert.key } }], alpn_protocols: ['h2', 'http/1.1'],
  } } };
  const tlsListener = listener('tls', tlsPort, [hcm('tls')]) as { filter_chains: object[] };
  proxy = new ProxyServer(compileBootstrap({
    static_resources: {
      listeners: [
        listener('h2c', h2cPort, [hcm('h2c')]),
        listener('idle', idlePort, [hcm('idle', { stream_idle_timeout: '0.2s' })]),
        listener('slow-request', slowRequestPort, [hcm('slow', { request_timeout: '0.2s' })]),
        listener('http1-only', http1OnlyPort, [hcm('h1only', { codec_type: 'HTTP1' })]),
        listener('http2-only', http2OnlyPort, [hcm('h2only', { codec_type: 'HTTP2' })]),
        // As Istio's inbound listeners: http_inspector peeks at the preface, then the codec reads it.
        listener('inspected', inspectedPort, [hcm('inspected')], { listener_filters: [HTTP_INSPECTOR] }),
        { ...tlsListener, filter_chains: [{ ...tlsListener.filter_chains[0], transport_socket: tls }] },
      ],
      clusters: [
        staticCluster('backend', [{ port: upstreamPort }]),
        staticCluster('grpc', [{ port: grpcPort }], { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': HTTP_OPTIONS, explicit_http_config: { http2_protocol_options: {} },
        } } }),
      ],
    },
  }), { log: new ConsoleLogger('off'), drainTimeMs: 10_000, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
  grpcUpstream.close();
  await pki.cleanup();
  rmSync(logDir, { recursive: true, force: true });
});

interface H2Response { headers: Record<string, unknown>; body: string; trailers: Record<string, unknown> | undefined }

/** One request on a session; resolves with the response head, body and trailers. */
function request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':authority': 'svc.local', ...headers }, { endStream: body === undefined });
    const result: H2Response = { headers: {}, body: '', trailers: undefined };
    stream.on('response', (h) => (result.headers = { ...h }));
    stream.on('trailers', (t) => (result.trailers = { ...t }));
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (result.body += d));
    stream.on('end', () => resolve(result));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

function h2c(): ClientHttp2Session {
  return connect(`http://127.0.0.1:${h2cPort}`);
}

const counter = (name: string): number => proxy.stats.counter(name).value;

async function logLines(prefix: string): Promise<string[]> {
  await flushAccessLogs();
  return readFileSync(join(logDir, `${prefix}.log`), 'utf8').split('\n').filter(Boolean);
}

describe('HTTP/2 downstream', () => {
  it('serves h2c with prior knowledge through an HTTP/1.1 upstream', async () => {
    const before = counter('http.h2c.downstream_cx_http2_total');
    const session = h2c();
    const res = await request(session, { ':path': '/hello?x=1', cookie: ['a=1', 'b=2'] });
    expect(proxy.stats.gauge('http.h2c.downstream_cx_http2_active').value).toBe(1);
    session.close();
    await once(session, 'close');
    expect(res.headers[':status']).toBe(200);
    expect(res.body).toBe('GET /hello?x=1 ');
    expect(res.headers.server).toBe('envoy');
    expect(res.headers['x-upstream']).toBe('yes');
    for (const field of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade']) expect(res.headers[field]).toBeUndefined();
    const up = seen.find((s) => s.url === '/hello?x=1') as Seen;
    // :authority became Host; HTTP/2's split cookies are one header for HTTP/1.1.
    expect(up.headers.host).toBe('svc.local');
    expect(up.headers.cookie).toBe('a=1; b=2');
    expect(up.headers['x-forwarded-proto']).toBe('http');
    expect(counter('http.h2c.downstream_cx_http2_total')).toBe(before + 1);
    expect(counter('http.h2c.downstream_rq_http2_total')).toBeGreaterThanOrEqual(1);
    expect(await logLines('h2c')).toContain('/hello?x=1 HTTP/2 200 -');
  });

  it('carries request bodies of unknown and of declared length, and a chunked response', async () => {
    const session = h2c();
    const [chunked, sized, streamed] = await Promise.all([
      request(session, { ':method': 'POST', ':path': '/post/chunked' }, 'first body'),
      request(session, { ':method': 'PUT', ':path': '/post/sized', 'content-length': '11' }, 'second body'),
      request(session, { ':path': '/stream' }),
    ]);
    session.close();
    expect(chunked.body).toBe('POST /post/chunked first body');
    expect(sized.body).toBe('PUT /post/sized second body');
    expect(streamed.body).toBe('part1,part2');
    const up = (path: string): Seen => seen.find((s) => s.url === path) as Seen;
    expect(up('/post/chunked').headers['transfer-encoding']).toBe('chunked');
    expect(up('/post/sized').headers['content-length']).toBe('11');
  });

  it('streams a large response under flow control', async () => {
    const session = h2c();
    const stream = session.request({ ':authority': 'svc.local', ':path': '/big' });
    let length = 0;
    stream.on('data', (d: Buffer) => (length += d.length));
    await once(stream, 'end');
    session.close();
    expect(length).toBe(32 * 65536);
  });

  it('answers Expect: 100-continue itself', async () => {
    const session = h2c();
    const stream = session.request({ ':authority': 'svc.local', ':method': 'POST', ':path': '/expect', expect: '100-continue' });
    await once(stream, 'continue');
    stream.end('after continue');
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (body += d));
    await once(stream, 'end');
    session.close();
    expect(body).toBe('POST /expect after continue');
  });

  it('answers local replies on the stream: direct responses and 404 for no route', async () => {
    const session = h2c();
    const direct = await request(session, { ':path': '/direct' });
    const missing = await request(session, { ':path': '/', ':authority': 'elsewhere.local' });
    session.close();
    expect(direct.headers[':status']).toBe(201);
    expect(direct.body).toBe('made here');
    expect(missing.headers[':status']).toBe(404);
    expect(await logLines('h2c')).toContain('/ HTTP/2 404 NR');
  });

  it('answers 400 on the stream to a request HTTP/1.1 cannot carry, and the connection serves on', async () => {
    const session = h2c();
    const connectRequest = await request(session, { ':method': 'CONNECT', ':authority': 'svc.local:443', ':path': undefined, ':scheme': undefined });
    const next = await request(session, { ':path': '/after-connect' });
    session.close();
    expect(connectRequest.headers[':status']).toBe(400);
    expect(next.body).toBe('GET /after-connect ');
  });

  it('passes trailers from an HTTP/2 upstream to the client (gRPC status)', async () => {
    const session = h2c();
    const res = await request(session, { ':method': 'POST', ':path': '/grpc.Echo/Say', 'content-type': 'application/grpc', te: 'trailers' }, '\0\0\0\0\0');
    session.close();
    expect(res.headers[':status']).toBe(200);
    expect(res.trailers).toMatchObject({ 'grpc-status': '0', 'grpc-message': 'fine' });
  });

  it('passes the trailers of a chunked HTTP/1.1 upstream response to the client', async () => {
    const session = h2c();
    const res = await request(session, { ':path': '/trailers' });
    session.close();
    expect(res.body).toBe('checked body');
    expect(res.trailers).toMatchObject({ 'x-checksum': '42' });
  });

  it('speaks h2 over TLS when ALPN picks it', async () => {
    const session = connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.ca.cert, servername: 'proxy.local' });
    const res = await request(session, { ':path': '/over-tls' });
    expect(session.alpnProtocol).toBe('h2');
    session.close();
    expect(res.body).toBe('GET /over-tls ');
    expect(seen.find((s) => s.url === '/over-tls')?.headers['x-forwarded-proto']).toBe('https');
    expect(await logLines('tls')).toContain('/over-tls HTTP/2 200 -');
  });

  it('still speaks HTTP/1.1 on the same listener when the first bytes are not the preface', async () => {
    const client = new RawHttpClient(h2cPort);
    await client.send('GET /plain HTTP/1.1\r\nHost: svc.local\r\n\r\n');
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('GET /plain ');
    expect(await logLines('h2c')).toContain('/plain HTTP/1.1 200 -');
  });

  it('answers 408 on a stream idle past stream_idle_timeout, and on a request not received within request_timeout', async () => {
    const idle = connect(`http://127.0.0.1:${idlePort}`);
    const held = await request(idle, { ':path': '/hold/idle' });
    idle.close();
    expect(held.headers[':status']).toBe(408);
    expect(held.body).toBe('stream timeout');
    expect(await logLines('idle')).toContain('/hold/idle HTTP/2 408 SI');
    // The same timeout on an HTTP/1.1 stream.
    const client = new RawHttpClient(idlePort);
    await client.send('GET /hold/idle-h1 HTTP/1.1\r\nHost: svc.local\r\n\r\n');
    const [h1] = await client.waitFor(1);
    client.close();
    expect(h1.status).toBe(408);
    expect(h1.body.toString()).toBe('stream timeout');
    const slow = connect(`http://127.0.0.1:${slowRequestPort}`);
    // A body that never ends.
    const stream = slow.request({ ':authority': 'svc.local', ':method': 'POST', ':path': '/slow-body' });
    stream.write('partial');
    const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
    slow.destroy();
    expect(headers[':status']).toBe(408);
    expect(counter('http.slow.downstream_rq_overall_timeout')).toBe(1);
  });

  it('serves h2c behind http_inspector, which peeks at the preface without consuming it', async () => {
    const session = connect(`http://127.0.0.1:${inspectedPort}`);
    const res = await request(session, { ':path': '/inspected' });
    session.close();
    expect(res.body).toBe('GET /inspected ');
    expect(counter('http_inspector.http2_found')).toBeGreaterThanOrEqual(1);
  });

  it('follows codec_type when it forces a codec', async () => {
    const session = connect(`http://127.0.0.1:${http2OnlyPort}`);
    const res = await request(session, { ':path': '/forced' });
    session.close();
    expect(res.body).toBe('GET /forced ');
    // HTTP1 reads the preface as an HTTP/1.1 request line of version 2.0.
    const client = new RawHttpClient(http1OnlyPort);
    await client.send('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const [refused] = await client.waitFor(1);
    client.close();
    expect(refused.status).toBe(505);
  });

  it('sends GOAWAY on drain and lets the stream in flight finish', async () => {
    const session = h2c();
    const goaway = once(session, 'goaway');
    const arrived = once(arrivals, 'held');
    const inFlight = request(session, { ':path': '/hold/drain' });
    await arrived;
    await proxy.drainListeners();
    const [code] = (await goaway) as [number];
    expect(code).toBe(0);
    (held.get('/hold/drain') as () => void)();
    const res = await inFlight;
    expect(res.headers[':status']).toBe(200);
    await once(session, 'close');
    expect(counter('http.h2c.downstream_cx_drain_close')).toBeGreaterThanOrEqual(1);
  });
});
