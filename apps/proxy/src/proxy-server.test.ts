import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, connect, type Server as NetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { getHeader } from '@mizzen/filters';
import { address, httpFilter, listener, routeConfig, staticCluster, tcpFilter } from '../test/bootstrap-builder.ts';
import { RawHttpClient } from '../test/raw-http-client.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';

let upstream: HttpServer;
let upstreamPort: number;
let echo: NetServer;
let echoPort: number;
let proxy: ProxyServer;
let httpPort: number;
/** A listener whose connection manager accepts HTTP/1.0 (http_protocol_options). */
let http10Port: number;
let tcpPort: number;
let adminPort: number;
const seen: { method: string; url: string; headers: Record<string, string | string[] | undefined> }[] = [];

function withTypedConfig(filter: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  return { ...filter, typed_config: { ...(filter.typed_config as Record<string, unknown>), ...extra } };
}

function listen(server: HttpServer | NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

beforeAll(async () => {
  upstream = createHttpServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    let length = 0;
    req.on('data', (d: Buffer) => (length += d.length));
    req.on('end', () => {
      if (req.url === '/slow') return;
      if (req.url?.startsWith('/stream')) {
        // No content-length: Node sends the body chunked.
        const n = Number(new URL(req.url, 'http://x').searchParams.get('n'));
        for (let i = 0; i < n; i++) res.write(Buffer.alloc(1024, 'x'));
        res.end();
        return;
      }
      res.setHeader('content-type', 'text/plain');
      res.setHeader('server', 'upstream');
      res.end(`${req.method} ${req.url} ${length}`);
    });
  });
  upstreamPort = await listen(upstream);
  echo = createNetServer((s) => s.pipe(s));
  echoPort = await listen(echo);
  [httpPort, tcpPort, http10Port] = [await freePort(), await freePort(), await freePort()];
  const deadPort = await freePort();
  const routes = [
    { match: { prefix: '/direct' }, direct_response: { status: 200, body: { inline_string: 'direct\n' } } },
    { match: { prefix: '/empty' }, route: { cluster: 'empty' } },
    { match: { prefix: '/dead' }, route: { cluster: 'dead' } },
    { match: { prefix: '/missing' }, route: { cluster: 'missing' } },
    { match: { prefix: '/slow' }, route: { cluster: 'backend', timeout: '0.2s' } },
    {
      match: { prefix: '/headers' },
      route: { cluster: 'backend' },
      request_headers_to_add: [{ header: { key: 'x-added', value: 'yes' } }, { header: { key: 'x-keep', value: 'proxy' }, append_action: 'ADD_IF_ABSENT' }],
      request_headers_to_remove: ['x-remove-me'],
      response_headers_to_add: [{ header: { key: 'x-route', value: '100%%' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
      response_headers_to_remove: ['content-type'],
    },
    { match: { prefix: '/old/' }, redirect: { https_redirect: true, prefix_rewrite: '/new/', response_code: 'PERMANENT_REDIRECT' } },
    { match: { prefix: '/api/' }, route: { cluster: 'backend', prefix_rewrite: '/v2/', host_rewrite_literal: 'backend.local' } },
    { match: { prefix: '/' }, route: { cluster: 'backend' } },
  ];
  const bootstrap = compileBootstrap({
    admin: { address: address(0) },
    static_resources: {
      listeners: [
        listener('http', httpPort, [httpFilter('ingress', { route_config: routeConfig('local', routes, ['localhost', 'localhost:*'.replace(':*', `:${httpPort}`), '127.0.0.1:' + httpPort]) })]),
        listener('tcp', tcpPort, [tcpFilter('echo', 'echo')]),
        listener('http10', http10Port, [withTypedConfig(httpFilter('http10', { route_config: routeConfig('http10', routes) }), { http_protocol_options: { accept_http_10: true, default_host_for_http_10: 'legacy.local' } })]),
      ],
      clusters: [
        staticCluster('backend', [{ port: upstreamPort }]),
        staticCluster('echo', [{ port: echoPort }]),
        staticCluster('dead', [{ port: deadPort }]),
        { name: 'empty', type: 'STATIC', connect_timeout: '1s' },
      ],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 1000, concurrency: 1 });
  await proxy.start();
  adminPort = proxy.adminPort as number;
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
  echo.close();
});

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

describe('HTTP through a static bootstrap', () => {
  it('proxies a request and adds Envoy headers both ways', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(get('/hello'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('GET /hello 0');
    expect(getHeader(res.headers, 'server')).toBe('envoy');
    expect(Number(getHeader(res.headers, 'x-envoy-upstream-service-time'))).toBeGreaterThanOrEqual(0);
    const up = seen.find((s) => s.url === '/hello');
    expect(up?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(up?.headers['x-forwarded-proto']).toBe('http');
  });

  it('keeps the connection alive and answers pipelined requests in order over one upstream connection', async () => {
    const before = proxy.stats.counter('cluster.backend.upstream_cx_total').value;
    const client = new RawHttpClient(httpPort);
    await client.send(get('/p1') + get('/p2') + get('/p3'), ['GET', 'GET', 'GET']);
    const responses = await client.waitFor(3);
    expect(responses.map((r) => r.body.toString())).toEqual(['GET /p1 0', 'GET /p2 0', 'GET /p3 0']);
    await client.send(get('/p4'));
    await client.waitFor(4);
    expect(client.closed).toBe(false);
    client.close();
    expect(proxy.stats.counter('cluster.backend.upstream_cx_total').value - before).toBeLessThanOrEqual(1);
  });

  it('streams large chunked bodies both ways', async () => {
    const client = new RawHttpClient(httpPort);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let body = '';
    for (let i = 0; i < 32; i++) body += `${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`;
    await client.send(`POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n${body}0\r\n\r\n`, ['POST']);
    await client.send(get('/stream?n=2048'));
    const [upload, download] = await client.waitFor(2);
    client.close();
    expect(upload.body.toString()).toBe(`POST /upload ${32 * 64 * 1024}`);
    expect(getHeader(download.headers, 'transfer-encoding')).toBe('chunked');
    expect(download.body.length).toBe(2048 * 1024);
  });

  it('forwards a large Content-Length body', async () => {
    const client = new RawHttpClient(httpPort);
    const size = 3 * 1024 * 1024;
    await client.send(`PUT /big HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${size}\r\n\r\n`, ['PUT']);
    client.socket.write(Buffer.alloc(size, 'b'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.body.toString()).toBe(`PUT /big ${size}`);
  });

  it('refuses HTTP/1.0 with 426 and closes, as Envoy does by default', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send('GET /old HTTP/1.0\r\nHost: localhost\r\n\r\n');
    const [res] = await client.waitFor(1);
    await client.waitClosed();
    expect(res.status).toBe(426);
  });

  it('answers HTTP/1.0 where accept_http_10 is on, naming the default host upstream when the request has none', async () => {
    for (const [request, host] of [
      ['GET /old HTTP/1.0\r\nHost: named.local\r\n\r\n', 'named.local'],
      ['GET /old HTTP/1.0\r\n\r\n', 'legacy.local'],
    ]) {
      const client = new RawHttpClient(http10Port);
      await client.send(request);
      const [res] = await client.waitFor(1);
      await client.waitClosed();
      expect(res.body.toString()).toBe('GET /old 0');
      expect(seen.at(-1)?.headers.host).toBe(host);
    }
  });

  it('closes after Connection: close', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(get('/bye', 'Connection: close\r\n'));
    const [res] = await client.waitFor(1);
    await client.waitClosed();
    expect(getHeader(res.headers, 'connection')).toBe('close');
  });

  it('accepts an absolute-form target, as sent to a forward proxy', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(`GET http://localhost/absolute?x=1 HTTP/1.1\r\nHost: ignored\r\n\r\n`);
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.body.toString()).toBe('GET /absolute?x=1 0');
    expect(seen.find((s) => s.url === '/absolute?x=1')?.headers.host).toBe('localhost');
  });

  it('answers Expect: 100-continue itself', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(`POST /expect HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n`, ['POST', 'POST']);
    const [interim] = await client.waitFor(1);
    expect(interim.status).toBe(100);
    client.socket.write('data');
    const [, res] = await client.waitFor(2);
    client.close();
    expect(res.body.toString()).toBe('POST /expect 4');
    expect(seen.find((s) => s.url === '/expect')?.headers.expect).toBeUndefined();
  });

  it('adds and removes headers both ways', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(get('/headers', 'X-Remove-Me: 1\r\nX-Keep: client\r\n'));
    const [res] = await client.waitFor(1);
    client.close();
    const up = seen.find((s) => s.url === '/headers');
    expect(up?.headers).toMatchObject({ 'x-added': 'yes', 'x-keep': 'client' });
    expect(up?.headers['x-remove-me']).toBeUndefined();
    expect(getHeader(res.headers, 'x-route')).toBe('100%');
    expect(getHeader(res.headers, 'content-type')).toBeUndefined();
  });

  it('redirects', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(get('/old/page?q=1'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(308);
    expect(getHeader(res.headers, 'location')).toBe('https://localhost/new/page?q=1');
  });

  it('rewrites the prefix and the host', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(get('/api/items'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.body.toString()).toBe('GET /v2/items 0');
    expect(seen.find((s) => s.url === '/v2/items')?.headers.host).toBe('backend.local');
  });

  it.each([
    ['a malformed request', 'GET / HTTP/1.1\r\nBad Header\r\n\r\n', 400],
    ['an unsupported version', 'GET / HTTP/3.0\r\nHost: x\r\n\r\n', 505],
  ])('answers %s with an error and closes', async (_name, request, status) => {
    const client = new RawHttpClient(httpPort);
    await client.send(request);
    const [res] = await client.waitFor(1);
    await client.waitClosed();
    expect(res.status).toBe(status);
  });

  it('answers 431 for oversized headers', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`);
    const [res] = await client.waitFor(1);
    expect(res.status).toBe(431);
    client.close();
  });

  it.each([
    ['/direct', 200, 'direct\n'],
    ['/empty', 503, 'no healthy upstream'],
    ['/missing', 503, ''],
  ])('GET %s answers %i from the proxy', async (path, status, body) => {
    const client = new RawHttpClient(httpPort);
    await client.send(get(path));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(status);
    expect(res.body.toString()).toBe(body);
  });

  it('answers 404 when no virtual host matches', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send('GET / HTTP/1.1\r\nHost: elsewhere\r\n\r\n');
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(404);
    expect(proxy.stats.counter('http.ingress.no_route').value).toBeGreaterThan(0);
  });

  it('answers 503 when the upstream refuses the connection', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(get('/dead'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(503);
    expect(res.body.toString()).toMatch(/^upstream connect error or disconnect\/reset before headers\. reset reason: connection failure/);
    expect(proxy.stats.counter('cluster.dead.upstream_cx_connect_fail').value).toBe(1);
  });

  it('answers 504 when the route timeout passes', async () => {
    const client = new RawHttpClient(httpPort);
    await client.send(get('/slow'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(504);
    expect(proxy.stats.counter('cluster.backend.upstream_rq_timeout').value).toBe(1);
  });
});

describe('TCP through a static bootstrap', () => {
  it('pipes bytes both ways', async () => {
    const socket = connect(tcpPort, '127.0.0.1');
    const payload = Buffer.alloc(512 * 1024, 'z');
    let received = 0;
    await new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        received += d.length;
        if (received === payload.length) resolve();
      });
      socket.write(payload);
    });
    socket.destroy();
    expect(proxy.stats.counter('tcp.echo.downstream_cx_total').value).toBe(1);
  });
});

describe('admin', () => {
  const admin = async (path: string, method = 'GET') => {
    const res = await fetch(`http://127.0.0.1:${adminPort}${path}`, { method });
    return { status: res.status, text: await res.text() };
  };

  it('reports readiness', async () => {
    expect(await admin('/ready')).toEqual({ status: 200, text: 'LIVE\n' });
  });

  it('prints stats with Envoy names', async () => {
    const { text } = await admin('/stats');
    for (const name of ['http.ingress.downstream_rq_total', 'http.ingress.downstream_rq_2xx', 'cluster.backend.upstream_rq_total',
      'cluster.backend.upstream_cx_total', `listener.127.0.0.1_${httpPort}.downstream_cx_total`, 'server.state: 0']) {
      expect(text).toContain(name);
    }
    const prom = await admin('/stats/prometheus');
    expect(prom.text).toContain('envoy_cluster_upstream_rq_total{envoy_cluster_name="backend"}');
  });

  it('dumps the config in Envoy form', async () => {
    const dump = JSON.parse((await admin('/config_dump')).text) as { configs: { '@type': string; static_clusters?: unknown[]; static_listeners?: unknown[] }[] };
    expect(dump.configs.map((c) => c['@type'].split('.').pop())).toEqual(['BootstrapConfigDump', 'ClustersConfigDump', 'ListenersConfigDump', 'RoutesConfigDump', 'SecretsConfigDump']);
    expect(dump.configs[1].static_clusters).toHaveLength(4);
    expect(dump.configs[2].static_listeners).toHaveLength(3);
  });

  it('lists clusters, listeners and server info', async () => {
    expect((await admin('/clusters')).text).toContain(`backend::127.0.0.1:${upstreamPort}::health_flags::healthy`);
    expect((await admin('/listeners')).text).toContain(`http::127.0.0.1:${httpPort}`);
    expect(JSON.parse((await admin('/server_info')).text)).toMatchObject({ state: 'LIVE' });
    expect((await admin('/quitquitquit')).status).toBe(405);
  });

  it('drains the listeners on POST /drain_listeners, last of all', async () => {
    expect((await admin('/drain_listeners', 'POST')).text).toBe('OK\n');
    expect(await admin('/ready')).toEqual({ status: 503, text: 'DRAINING\n' });
    const refused = await new Promise<boolean>((resolve) => connect(httpPort, '127.0.0.1').once('error', () => resolve(true)).once('connect', () => resolve(false)));
    expect(refused).toBe(true);
  });
});
