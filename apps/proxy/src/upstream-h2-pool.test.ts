import { once } from 'node:events';
import { constants, createSecureServer, createServer, type Http2SecureServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, staticCluster } from '../test/bootstrap-builder.ts';
import { RawHttpClient, type RawResponse } from '../test/raw-http-client.ts';
import { createTestPki, type TestPki } from '../test/test-certificates.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';

const HTTP_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

function h2Options(http2: object = {}, common?: object): { [key: string]: unknown } {
  return {
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': HTTP_OPTIONS, explicit_http_config: { http2_protocol_options: http2 }, ...(common && { common_http_protocol_options: common }),
      },
    },
  };
}

type StreamHandler = (stream: ServerHttp2Stream, headers: Record<string, string | string[] | undefined>, session: Http2Session) => void;

/** An h2c or h2-over-TLS upstream whose answer each test sets; it counts its sessions. */
class H2Upstream {
  sessions = 0;
  handler: StreamHandler = (stream) => stream.respond({ ':status': 200 });
  readonly server: Http2Server | Http2SecureServer;

  constructor(server: Http2Server | Http2SecureServer) {
    this.server = server;
    server.on('session', () => this.sessions++);
    server.on('stream', (stream, headers) => {
      // Streams a test resets report it as an error on the server side too.
      stream.on('error', () => {});
      this.handler(stream, headers, stream.session as Http2Session);
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  close(): void {
    this.server.close();
  }
}

let pki: TestPki;
let plain: H2Upstream;
let limited: H2Upstream;
let secure: H2Upstream;
let http1Only: HttpsServer;
let proxy: ProxyServer;
let port: number;

beforeAll(async () => {
  pki = await createTestPki();
  const cert = await pki.issue('backend', ['DNS:backend.local']);
  plain = new H2Upstream(createServer());
  limited = new H2Upstream(createServer({ settings: { maxConcurrentStreams: 2 } }));
  secure = new H2Upstream(createSecureServer({ ...cert, allowHTTP1: true }));
  const [plainPort, limitedPort, securePort] = [await plain.listen(), await limited.listen(), await secure.listen()];
  // Both protocols on one TLS port: ALPN decides. And a TLS server of HTTP/1.1 alone.
  secure.server.on('request', (req, res) => res.end(`http/${req.httpVersion}`));
  http1Only = createHttpsServer({ ...cert, ALPNProtocols: ['http/1.1'] }, (req, res) => res.end(`http/${req.httpVersion}`));
  http1Only.listen(0, '127.0.0.1');
  await once(http1Only, 'listening');
  const http1OnlyPort = (http1Only.address() as AddressInfo).port;
  const tlsSocket = { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UPSTREAM_TLS, sni: 'backend.local' } };
  const auto = { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_OPTIONS, auto_config: {} } }, transport_socket: tlsSocket };
  port = await freePort();
  const deadPort = await freePort();
  const retry = (on: string) => ({ retry_on: on, num_retries: 2, retry_back_off: { base_interval: '0.001s' } });
  const routes = { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], include_request_attempt_count: true, routes: [
    { match: { prefix: '/refused-retried' }, route: { cluster: 'h2c', retry_policy: retry('refused-stream') } },
    { match: { prefix: '/goaway-retried' }, route: { cluster: 'h2c', retry_policy: retry('refused-stream') } },
    { match: { prefix: '/limited' }, route: { cluster: 'limited' } },
    { match: { prefix: '/mirrored' }, route: { cluster: 'h2c', request_mirror_policies: [{ cluster: 'h2c' }] } },
    { match: { prefix: '/tls' }, route: { cluster: 'tls' } },
    { match: { prefix: '/auto-h2' }, route: { cluster: 'auto-h2' } },
    { match: { prefix: '/auto-h1' }, route: { cluster: 'auto-h1' } },
    { match: { prefix: '/few' }, route: { cluster: 'few' } },
    { match: { prefix: '/guarded' }, route: { cluster: 'guarded' } },
    { match: { prefix: '/idle' }, route: { cluster: 'idle' } },
    { match: { prefix: '/aged' }, route: { cluster: 'aged' } },
    { match: { prefix: '/dead' }, route: { cluster: 'dead' } },
    { match: { prefix: '/slow' }, route: { cluster: 'h2c', retry_policy: { retry_on: 'reset', num_retries: 3, per_try_timeout: '0.2s', retry_back_off: { base_interval: '0.001s' } } } },
    { match: { prefix: '/ping' }, route: { cluster: 'pinged' } },
    { match: { prefix: '/' }, route: { cluster: 'h2c' } },
  ] }] };
  proxy = new ProxyServer(compileBootstrap({
    static_resources: {
      listeners: [listener('http', port, [httpFilter('in', { route_config: routes })])],
      clusters: [
        staticCluster('h2c', [{ port: plainPort }], h2Options()),
        staticCluster('limited', [{ port: limitedPort }], h2Options()),
        staticCluster('few', [{ port: plainPort }], h2Options({}, { max_requests_per_connection: 2 })),
        staticCluster('guarded', [{ port: plainPort }], { ...h2Options(), circuit_breakers: { thresholds: [{ max_requests: 2, max_connections: 1 }] } }),
        staticCluster('idle', [{ port: limitedPort }], h2Options({}, { idle_timeout: '0.05s' })),
        staticCluster('dead', [{ port: deadPort }], h2Options()),
        staticCluster('aged', [{ port: plainPort }], h2Options({}, { max_connection_duration: '0.05s' })),
        staticCluster('auto-h2', [{ port: securePort }], auto),
        staticCluster('auto-h1', [{ port: http1OnlyPort }], auto),
        staticCluster('pinged', [{ port: limitedPort }], h2Options({ connection_keepalive: { interval: '0.05s', timeout: '1s' } })),
        staticCluster('tls', [{ port: securePort }], {
          ...h2Options(),
          transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UPSTREAM_TLS, sni: 'backend.local' } },
        }),
      ],
    },
  }), { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  for (const upstream of [plain, limited, secure]) upstream.close();
  http1Only.close();
  await pki.cleanup();
});

const counter = (name: string): number => proxy.stats.counter(name).value;

async function request(raw: string): Promise<RawResponse> {
  const client = new RawHttpClient(port);
  await client.send(raw, [raw.slice(0, raw.indexOf(' '))]);
  const [response] = await client.waitFor(1);
  client.close();
  return response;
}

const get = (path: string, headers = '') => request(`GET ${path} HTTP/1.1\r\nHost: svc.local\r\n${headers}\r\n`);
const header = (res: RawResponse, name: string): string | undefined => {
  const i = res.headers.indexOf(name);
  return i === -1 ? undefined : res.headers[i + 1];
};

/** Resolves when `count` streams arrived; the handler then answers them all. */
function holdStreams(upstream: H2Upstream, count: number): Promise<ServerHttp2Stream[]> {
  const held: ServerHttp2Stream[] = [];
  return new Promise((resolve) => {
    upstream.handler = (stream) => {
      held.push(stream);
      if (held.length === count) resolve(held);
    };
  });
}

describe('HTTP/2 upstreams', () => {
  it('chooses by ALPN with auto_config over TLS, and remembers a host that chose HTTP/1.1', async () => {
    secure.handler = (stream) => {
      stream.respond({ ':status': 200 });
      stream.end('h2');
    };
    expect((await get('/auto-h2')).body.toString()).toBe('h2');
    for (let i = 0; i < 2; i++) expect((await get('/auto-h1')).body.toString()).toBe('http/1.1');
    expect(counter('cluster.auto-h2.upstream_cx_http2_total')).toBe(1);
    expect(counter('cluster.auto-h1.upstream_cx_http2_total')).toBe(0);
    // The connection that learnt the host's choice, then one kept-alive HTTP/1.1 connection.
    expect(counter('cluster.auto-h1.upstream_cx_total')).toBe(2);
    expect(counter('cluster.auto-h1.upstream_cx_http1_total')).toBe(1);
  });

  it('forwards an HTTP/1.1 request to an h2c upstream and back, body both ways', async () => {
    plain.handler = (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        stream.respond({ ':status': 201, 'x-seen': `${String(headers[':method'])} ${String(headers[':path'])} ${String(headers[':authority'])} ${String(headers[':scheme'])}` });
        stream.end(`echo:${Buffer.concat(chunks).toString()}`);
      });
    };
    const res = await request('POST /echo?q=1 HTTP/1.1\r\nHost: svc.local\r\nContent-Length: 5\r\n\r\nhello');
    expect(res.status).toBe(201);
    expect(header(res, 'x-seen')).toBe('POST /echo?q=1 svc.local http');
    expect(res.body.toString()).toBe('echo:hello');
    const chunked = await request('POST /echo HTTP/1.1\r\nHost: svc.local\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    expect(chunked.body.toString()).toBe('echo:abcde');
    expect(counter('cluster.h2c.upstream_cx_http2_total')).toBeGreaterThanOrEqual(1);
    expect(counter('cluster.h2c.upstream_rq_2xx')).toBeGreaterThanOrEqual(2);
  });

  it('multiplexes concurrent requests over one session', async () => {
    const sessionsBefore = plain.sessions;
    const held = holdStreams(plain, 8);
    const responses = Array.from({ length: 8 }, (_, i) => get(`/many/${i}`));
    for (const stream of await held) {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    }
    const all = await Promise.all(responses);
    expect(all.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(plain.sessions - sessionsBefore).toBe(0);
  });

  it('opens another session when the peer\'s max_concurrent_streams is reached', async () => {
    const held = holdStreams(limited, 5);
    const responses = Array.from({ length: 5 }, (_, i) => get(`/limited/${i}`));
    for (const stream of await held) {
      stream.respond({ ':status': 200 });
      stream.end();
    }
    expect((await Promise.all(responses)).every((r) => r.status === 200)).toBe(true);
    expect(limited.sessions).toBe(3);
    expect(counter('cluster.limited.upstream_cx_http2_total')).toBe(3);
  });

  it('counts requests, not connections, against the circuit breakers', async () => {
    const held = holdStreams(plain, 2);
    const first = [get('/guarded/1'), get('/guarded/2')];
    const streams = await held;
    const refused = await get('/guarded/3');
    expect(refused.status).toBe(503);
    expect(header(refused, 'x-envoy-overloaded')).toBe('true');
    for (const stream of streams) {
      stream.respond({ ':status': 200 });
      stream.end();
    }
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    expect(counter('cluster.guarded.upstream_cx_http2_total')).toBe(1);
    expect(counter('cluster.guarded.upstream_rq_pending_overflow')).toBe(1);
  });

  it('closes a session idle for the idle_timeout', async () => {
    let session: Http2Session | undefined;
    limited.handler = (stream, _headers, s) => {
      session = s;
      stream.respond({ ':status': 200 });
      stream.end();
    };
    expect((await get('/idle')).status).toBe(200);
    await once(session as Http2Session, 'close');
    expect(counter('cluster.idle.upstream_cx_idle_timeout')).toBe(1);
  });

  it('retires a session older than max_connection_duration', async () => {
    let session: Http2Session | undefined;
    plain.handler = (stream, _headers, s) => {
      session = s;
      stream.respond({ ':status': 200 });
      stream.end();
    };
    const before = plain.sessions;
    expect((await get('/aged/1')).status).toBe(200);
    await once(session as Http2Session, 'close');
    expect((await get('/aged/2')).status).toBe(200);
    expect(plain.sessions - before).toBe(2);
  });

  it('answers 503 UF when no session can be made', async () => {
    const res = await get('/dead');
    expect(res.status).toBe(503);
    expect(res.body.toString()).toContain('reset reason: connection failure');
    expect(counter('cluster.dead.upstream_cx_connect_fail')).toBe(1);
  });

  it('cancels a stream past its per-try timeout and retries it', async () => {
    let tries = 0;
    let cancelled: Promise<unknown> | undefined;
    plain.handler = (stream) => {
      if (++tries === 1) {
        cancelled = once(stream, 'close');
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end('in time');
    };
    const res = await get('/slow');
    expect(res.body.toString()).toBe('in time');
    await cancelled;
    expect(counter('cluster.h2c.upstream_rq_per_try_timeout')).toBeGreaterThanOrEqual(1);
    expect(counter('cluster.h2c.upstream_rq_tx_reset')).toBeGreaterThanOrEqual(1);
  });

  it('pings a session every connection_keepalive interval', async () => {
    let pinged: Promise<unknown> | undefined;
    limited.handler = (stream, _headers, session) => {
      pinged = once(session, 'ping');
      stream.respond({ ':status': 200 });
      stream.end();
    };
    expect((await get('/ping')).status).toBe(200);
    await pinged;
  });

  it('streams a large body both ways under flow control', async () => {
    const size = 3 << 20;
    plain.handler = (stream) => {
      let received = 0;
      stream.on('data', (c: Buffer) => (received += c.length));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'x-received': String(received) });
        stream.end(Buffer.alloc(size, 'b'));
      });
    };
    const res = await request(Buffer.concat([Buffer.from(`POST /large HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`), Buffer.alloc(size, 'a')]).toString('latin1'));
    expect(header(res, 'x-received')).toBe(String(size));
    expect(res.body.length).toBe(size);
  });

  it('retires a session after max_requests_per_connection streams', async () => {
    plain.handler = (stream) => {
      stream.respond({ ':status': 200 });
      stream.end();
    };
    const before = plain.sessions;
    for (let i = 0; i < 4; i++) expect((await get('/few')).status).toBe(200);
    expect(plain.sessions - before).toBe(2);
    expect(counter('cluster.few.upstream_cx_max_requests')).toBe(2);
  });

  it('retries a refused stream, and answers 503 UR when the policy does not cover it', async () => {
    let tries = 0;
    plain.handler = (stream) => {
      if (++tries === 1) {
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.respond({ ':status': 200 });
      stream.end('second');
    };
    const res = await get('/refused-retried');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('second');
    expect(tries).toBe(2);
    plain.handler = (stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM);
    const refused = await get('/not-retried');
    expect(refused.status).toBe(503);
    expect(refused.body.toString()).toContain('reset reason: refused stream');
    expect(counter('cluster.h2c.upstream_rq_rx_reset')).toBeGreaterThanOrEqual(2);
  });

  it('answers 503 for a stream reset before its response, and resets the client mid-body', async () => {
    plain.handler = (stream) => stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    const reset = await get('/reset');
    expect(reset.status).toBe(503);
    expect(reset.body.toString()).toContain('remote reset');
    plain.handler = (stream) => {
      stream.respond({ ':status': 200, 'content-length': '100' });
      stream.write('partial', () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
    };
    const client = new RawHttpClient(port);
    await client.send('GET /mid HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitClosed();
    expect(client.responses).toHaveLength(0);
  });

  it('finishes the stream in flight on GOAWAY and retries the one past its last stream id on a new session', async () => {
    let first: ServerHttp2Stream | undefined;
    const seenFirst = new Promise<void>((resolve) => {
      plain.handler = (stream, headers, session) => {
        if (headers[':path'] === '/goaway-retried/a') {
          first = stream;
          resolve();
          return;
        }
        if (first !== undefined && first.session === session) {
          // The second stream arrived on the session of the first: the server goes away,
          // keeping the first (its id is the last one processed) and refusing the second.
          session.goaway(constants.NGHTTP2_NO_ERROR, first.id);
          first.respond({ ':status': 200 });
          first.end('a');
          return;
        }
        stream.respond({ ':status': 200 });
        stream.end(`b after ${String(headers['x-envoy-attempt-count'])} tries`);
      };
    });
    const a = get('/goaway-retried/a');
    await seenFirst;
    const sessionsBefore = plain.sessions;
    const b = await get('/goaway-retried/b');
    expect((await a).body.toString()).toBe('a');
    expect(b.status).toBe(200);
    expect(b.body.toString()).toBe('b after 2 tries');
    expect(plain.sessions - sessionsBefore).toBe(1);
    expect(counter('cluster.h2c.upstream_cx_close_notify')).toBeGreaterThanOrEqual(1);
  });

  it('mirrors a request to an HTTP/2 cluster with its body and a -shadow authority', async () => {
    const seen: string[] = [];
    const both = new Promise<void>((resolve) => {
      plain.handler = (stream, headers) => {
        let body = '';
        stream.on('data', (c: Buffer) => (body += c.toString()));
        stream.on('end', () => {
          seen.push(`${String(headers[':authority'])} ${body}`);
          stream.respond({ ':status': 200 });
          stream.end();
          if (seen.length === 2) resolve();
        });
      };
    });
    const res = await request('POST /mirrored HTTP/1.1\r\nHost: svc.local\r\nContent-Length: 4\r\n\r\nbody');
    expect(res.status).toBe(200);
    await both;
    expect(seen.sort()).toEqual(['svc.local body', 'svc.local-shadow body']);
  });

  it('on a GOAWAY with an error, retries as refused only the streams past its last stream id', async () => {
    let first: ServerHttp2Stream | undefined;
    const seenFirst = new Promise<void>((resolve) => {
      plain.handler = (stream, headers, session) => {
        if (headers[':path'] === '/goaway-retried/x') {
          first = stream;
          resolve();
          return;
        }
        if (first !== undefined && first.session === session) {
          session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, first.id);
          return;
        }
        stream.respond({ ':status': 200 });
        stream.end('y again');
      };
    });
    const x = get('/goaway-retried/x');
    await seenFirst;
    const y = await get('/goaway-retried/y');
    expect(y.body.toString()).toBe('y again');
    // The first stream was processed: not refused, so refused-stream does not retry it.
    expect((await x).status).toBe(503);
  });

  it('speaks h2 over TLS, offering ALPN h2 when the TLS context names none', async () => {
    secure.handler = (stream, headers, session) => {
      stream.respond({ ':status': 200 });
      stream.end(`alpn=${String(session.alpnProtocol)} scheme=${String(headers[':scheme'])}`);
    };
    const res = await get('/tls');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('alpn=h2 scheme=https');
    expect(counter('cluster.tls.upstream_cx_http2_total')).toBe(1);
  });
});
