import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  const hcm = httpFilter('hardening', { route_config: routeConfig('local', routes) });
  const bootstrap = compileBootstrap({
    admin: { address: address(0) },
    static_resources: { listeners: [listener('http', port, [hcm])], clusters: [staticCluster('app', [{ port: upstreamPort }])] },
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
