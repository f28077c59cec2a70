import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_LIMIT_TYPE_URL } from '@mizzen/filters';
import { freePort } from '@mizzen/testing';
import { address, httpFilter, listener, routeConfig, staticCluster } from '../test/bootstrap-builder.ts';
import { RawHttpClient } from '../test/raw-http-client.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';

// Hostile requests, byte by byte: each gets Envoy's answer and a closed connection, and the
// proxy goes on serving.

let proxy: ProxyServer;
let port: number;
/** Listeners whose connection manager normalizes paths (rejecting escaped slashes), and one that
 *  redirects them to the unescaped path. */
let normalizingPort: number;
let redirectingPort: number;
/** A listener with short headers and idle timeouts. */
let timeoutPort: number;
/** A listener that takes two connections at a time (connection_limit). */
let limitedPort: number;
let upstream: Server;
/** Paths the upstream received, in order. */
const seen: string[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.end(`ok ${req.url}`));
  });
  const upstreamPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
  port = await freePort();
  const routes = [
    { match: { prefix: '/admin' }, direct_response: { status: 403 } },
    { match: { prefix: '/' }, route: { cluster: 'app' } },
  ];
  normalizingPort = await freePort();
  redirectingPort = await freePort();
  timeoutPort = await freePort();
  limitedPort = await freePort();
  const hcm = httpFilter('hardening', { route_config: routeConfig('local', routes) });
  const withOptions = (prefix: string, options: object) => {
    const filter = httpFilter(prefix, { route_config: routeConfig('local', routes) });
    return { ...filter, typed_config: { ...(filter.typed_config as object), ...options } };
  };
  const normalizing = withOptions('normalizing', { normalize_path: true, merge_slashes: true, path_with_escaped_slashes_action: 'REJECT_REQUEST' });
  const redirecting = withOptions('redirecting', { path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT' });
  const timeouts = withOptions('timeouts', { request_headers_timeout: '0.15s', common_http_protocol_options: { idle_timeout: '0.3s' } });
  const bootstrap = compileBootstrap({
    admin: { address: address(0) },
    static_resources: {
      listeners: [listener('http', port, [hcm]), listener('normalizing', normalizingPort, [normalizing]), listener('redirecting', redirectingPort, [redirecting]),
        listener('timeouts', timeoutPort, [timeouts]),
        listener('limited', limitedPort, [{ name: 'envoy.filters.network.connection_limit', typed_config: { '@type': CONNECTION_LIMIT_TYPE_URL, stat_prefix: 'limited', max_connections: 2 } }, hcm])],
      clusters: [staticCluster('app', [{ port: upstreamPort }])],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 100, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
});

/** Sends raw bytes on a new connection; returns the one response and whether the proxy closed. */
async function exchange(bytes: string | Buffer): Promise<{ status: number; closed: boolean }> {
  const client = new RawHttpClient(port);
  await client.send(bytes);
  const [response] = await client.waitFor(1);
  await client.waitClosed();
  return { status: response?.status ?? 0, closed: client.closed };
}

/** A plain request on a new connection still gets through. */
function stillServing(): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/alive', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject).end();
  });
}

const GET = (headers: string, target = '/'): string => `GET ${target} HTTP/1.1\r\nhost: app\r\n${headers}\r\n`;
const POST = (headers: string, body = ''): string => `POST / HTTP/1.1\r\nhost: app\r\n${headers}\r\n${body}`;

const rejected: [string, string | Buffer, number][] = [
  // 8: framing that two parsers could read differently, and bytes no header may hold.
  ['Content-Length with Transfer-Encoding', POST('content-length: 5\r\ntransfer-encoding: chunked\r\n', '0\r\n\r\n'), 400],
  ['two differing Content-Lengths', POST('content-length: 1\r\ncontent-length: 2\r\n', 'ab'), 400],
  ['a Content-Length that is not a number', POST('content-length: 1x\r\n', 'a'), 400],
  ['a negative Content-Length', POST('content-length: -1\r\n'), 400],
  ['a Content-Length list', POST('content-length: 1, 1\r\n', 'a'), 400],
  ['a Transfer-Encoding not ending in chunked', POST('transfer-encoding: chunked, identity\r\n', '0\r\n\r\n'), 400],
  ['obs-fold', GET('x-a: one\r\n two\r\n'), 400],
  ['NUL in a header value', GET('x-a: a\0b\r\n'), 400],
  ['a bare CR in a header value', GET('x-a: a\rb\r\n'), 400],
  ['a bare LF ending a header line', 'GET / HTTP/1.1\r\nhost: app\nx-a: b\r\n\r\n', 400],
  ['a space before the colon', GET('x-a : b\r\n'), 400],
  ['a bad chunk size', POST('transfer-encoding: chunked\r\n', 'zz\r\nab\r\n0\r\n\r\n'), 400],
  // 9: oversized heads.
  ['more than 60 KiB of headers', GET(`x-big: ${'a'.repeat(61 * 1024)}\r\n`), 431],
  ['more than 100 headers', GET(Array.from({ length: 101 }, (_, i) => `x-${i}: v\r\n`).join('')), 431],
  // 10: HTTP/1.1 needs a Host.
  ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nx-a: b\r\n\r\n', 400],
  ['two Host headers', GET('host: other\r\n'), 400],
  ['an unknown HTTP version', 'GET / HTTP/1.2\r\nhost: app\r\n\r\n', 505],
  ['garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400],
];

describe('malformed requests', () => {
  it.each(rejected)('answers %s with its status and closes', async (_name, bytes, status) => {
    expect(await exchange(bytes)).toEqual({ status, closed: true });
    expect(await stillServing()).toBe(200);
  });

  it('forwards nothing of a rejected request upstream', async () => {
    const before = seen.length;
    await exchange(POST('content-length: 5\r\ntransfer-encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'));
    expect(seen.slice(before)).toEqual([]);
  });
});

describe('path normalization', () => {
  async function get(listenerPort: number, target: string): Promise<{ status: number; location: string | undefined; body: string }> {
    const client = new RawHttpClient(listenerPort);
    await client.send(`GET ${target} HTTP/1.1\r\nhost: app\r\n\r\n`);
    const [response] = await client.waitFor(1);
    client.close();
    const location = response.headers[response.headers.indexOf('location') + 1];
    return { status: response.status, location: response.headers.includes('location') ? location : undefined, body: response.body.toString() };
  }

  it('routes on the normalized path, so a dot segment cannot reach around a route', async () => {
    expect((await get(normalizingPort, '/public/../admin')).status).toBe(403);
    expect((await get(normalizingPort, '/public/%2e%2e/admin')).status).toBe(403);
    // Without normalization the same target is only a path to forward.
    expect((await get(port, '/public/../admin')).status).toBe(200);
  });

  it('sends the normalized path upstream, once', async () => {
    expect((await get(normalizingPort, '/a/./b//c/%7Euser?q=/../x')).body).toBe('ok /a/b/c/~user?q=/../x');
    expect(seen.at(-1)).toBe('/a/b/c/~user?q=/../x');
  });

  it('rejects escaped slashes when told to, and redirects to the unescaped path when told to', async () => {
    const before = seen.length;
    expect((await get(normalizingPort, '/a%2Fb')).status).toBe(400);
    expect(await get(redirectingPort, '/a%2fb?x=1')).toMatchObject({ status: 307, location: '/a/b?x=1' });
    expect(seen.length).toBe(before);
    expect(await stillServing()).toBe(200);
  });
});

describe('timeouts', () => {
  it('answers a request head that does not complete within request_headers_timeout with 408 and closes', async () => {
    const client = new RawHttpClient(timeoutPort);
    const started = performance.now();
    await client.send('GET / HTTP/1.1\r\nhost: app\r\nx-slow: ');
    const [response] = await client.waitFor(1);
    await client.waitClosed();
    expect(response.status).toBe(408);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('closes a connection that stays idle past idle_timeout, after serving it', async () => {
    const client = new RawHttpClient(timeoutPort);
    await client.send('GET /first HTTP/1.1\r\nhost: app\r\n\r\n');
    expect((await client.waitFor(1))[0].status).toBe(200);
    const served = performance.now();
    await client.waitClosed();
    expect(performance.now() - served).toBeGreaterThanOrEqual(250);
    expect(client.responses).toHaveLength(1);
    expect(await stillServing()).toBe(200);
  });
});

describe('connection limit', () => {
  it('closes connections past max_connections at once, and takes new ones as others close', async () => {
    const ask = async (client: RawHttpClient, n: number) => {
      await client.send('GET /x HTTP/1.1\r\nhost: app\r\n\r\n');
      return (await client.waitFor(n))[n - 1]?.status;
    };
    const [a, b] = [new RawHttpClient(limitedPort), new RawHttpClient(limitedPort)];
    expect([await ask(a, 1), await ask(b, 1)]).toEqual([200, 200]);
    const refused = new RawHttpClient(limitedPort);
    await refused.send('GET /x HTTP/1.1\r\nhost: app\r\n\r\n');
    await refused.waitClosed();
    expect(refused.responses).toEqual([]);
    expect(proxy.stats.counter('connection_limit.limited.limited_connections').value).toBe(1);
    a.close();
    while (proxy.stats.gauge('connection_limit.limited.active_connections').value > 1) await new Promise((resolve) => setImmediate(resolve));
    const c = new RawHttpClient(limitedPort);
    expect([await ask(c, 1), await ask(b, 2)]).toEqual([200, 200]);
    b.close();
    c.close();
  });
});
