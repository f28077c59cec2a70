import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { HCM, ROUTER, address, listener, staticCluster } from '../test/bootstrap-builder.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';

// The traffic policies istiod writes for VirtualServices: fault injection and CORS, per route.
const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const CORS = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';
const CORS_POLICY = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

let upstream: Server;
const extraServers: (Server | NetServer)[] = [];
/** Requests the mirror cluster received, and whoever waits for the next. */
const mirrored: { url: string; host: string; body: string }[] = [];
let onMirrored: () => void = () => {};
let proxy: ProxyServer;
let port: number;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

function send(path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const fault = (fields: object) => ({ 'envoy.filters.http.fault': { '@type': FAULT, ...fields } });

beforeAll(async () => {
  upstream = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      // /bounded answers after the route's max_stream_duration.
      if (req.url === '/bounded') setTimeout(() => res.end('late'), 1000);
      else res.end(`upstream ${req.url}`);
    });
  });
  const upstreamPort = await listen(upstream);
  const shadow = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      mirrored.push({ url: req.url ?? '', host: req.headers.host ?? '', body });
      onMirrored();
      // A slow, failing answer: the main response must not wait for it or see it.
      setTimeout(() => {
        res.statusCode = 500;
        res.end('mirror');
      }, 50);
    });
  });
  extraServers.push(shadow);
  const shadowPort = await listen(shadow);
  const stickyPorts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const server = createHttpServer((req, res) => res.end(`host${i}`));
    extraServers.push(server);
    stickyPorts.push(await listen(server));
  }
  // A WebSocket-style upstream: answers the upgrade with a 101, then echoes raw bytes.
  const ws = createNetServer((socket) => {
    let head = '';
    const onHead = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onHead);
      const upgrade = /^upgrade: (.*)$/im.exec(head)?.[1].trim();
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${upgrade}\r\n\r\n`);
      if (head.length > end + 4) socket.write(head.slice(end + 4));
      socket.pipe(socket);
    };
    socket.on('data', onHead);
    socket.on('error', () => {});
  });
  extraServers.push(ws);
  const wsPort = await new Promise<number>((resolve) => ws.listen(0, '127.0.0.1', () => resolve((ws.address() as { port: number }).port)));
  const deadPort = await freePort();
  port = await freePort();
  const routes = [
    { match: { prefix: '/half' }, route: { cluster: 'backend' }, typed_per_filter_config: fault({ abort: { http_status: 418, percentage: { numerator: 50 } } }) },
    { match: { prefix: '/grpc' }, route: { cluster: 'backend' }, typed_per_filter_config: fault({ abort: { grpc_status: 14, percentage: { numerator: 1000000, denominator: 'MILLION' } } }) },
    { match: { prefix: '/delay' }, route: { cluster: 'backend' }, typed_per_filter_config: fault({ delay: { fixed_delay: '0.3s', percentage: { numerator: 100 } } }) },
    { match: { prefix: '/both' }, route: { cluster: 'backend' }, typed_per_filter_config: fault({ delay: { fixed_delay: '0.1s', percentage: { numerator: 100 } }, abort: { http_status: 500, percentage: { numerator: 100 } } }) },
    // An empty per-route config overrides the virtual host's abort: no fault here.
    { match: { prefix: '/calm' }, route: { cluster: 'backend' }, typed_per_filter_config: fault({}) },
    {
      match: { prefix: '/cors' },
      route: { cluster: 'backend' },
      typed_per_filter_config: {
        ...fault({}),
        'envoy.filters.http.cors': {
          '@type': CORS_POLICY, allow_origin_string_match: [{ exact: 'https://app.example' }], allow_methods: 'GET,POST',
          allow_headers: 'x-custom', expose_headers: 'x-served', max_age: '60', allow_credentials: true, filter_enabled: { default_value: { numerator: 100 } },
        },
      },
    },
    { match: { prefix: '/mirrored' }, route: { cluster: 'backend', request_mirror_policies: [{ cluster: 'shadow', runtime_fraction: { default_value: { numerator: 100 } } }] }, typed_per_filter_config: fault({}) },
    { match: { prefix: '/mirror-dead' }, route: { cluster: 'backend', request_mirror_policies: [{ cluster: 'dead' }] }, typed_per_filter_config: fault({}) },
    { match: { prefix: '/api/' }, route: { cluster: 'backend', regex_rewrite: { pattern: { regex: '^/api/(\\w+)/(\\d+)' }, substitution: '/v2/\\1?id=\\2' } }, typed_per_filter_config: fault({}) },
    { match: { prefix: '/sticky' }, route: { cluster: 'sticky', hash_policy: [{ header: { header_name: 'x-user' } }] }, typed_per_filter_config: fault({}) },
    { match: { prefix: '/bounded' }, route: { cluster: 'backend', max_stream_duration: { max_stream_duration: '0.1s' } }, typed_per_filter_config: fault({}) },
    { match: { prefix: '/ws' }, route: { cluster: 'ws' }, typed_per_filter_config: fault({}) },
    { match: { prefix: '/no-ws' }, route: { cluster: 'ws', upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] }, typed_per_filter_config: fault({}) },
    { match: { prefix: '/' }, route: { cluster: 'backend' } },
  ];
  const hcm = {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM,
      stat_prefix: 'policy',
      upgrade_configs: [{ upgrade_type: 'websocket' }],
      route_config: {
        name: 'local',
        virtual_hosts: [{ name: 'vh', domains: ['*'], routes, typed_per_filter_config: fault({ abort: { http_status: 503, percentage: { numerator: 100 } } }) }],
      },
      http_filters: [
        { name: 'envoy.filters.http.cors', typed_config: { '@type': CORS } },
        { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT } },
        { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
      ],
    },
  };
  const bootstrap = compileBootstrap({
    admin: { address: address(0) },
    static_resources: { listeners: [listener('http', port, [hcm])], clusters: [
      staticCluster('backend', [{ port: upstreamPort }]),
      staticCluster('shadow', [{ port: shadowPort }]),
      staticCluster('dead', [{ port: deadPort }]),
      staticCluster('ws', [{ port: wsPort }]),
      staticCluster('sticky', stickyPorts.map((p) => ({ port: p })), { lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: '1024' } }),
    ] },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 100, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
  for (const server of extraServers) server.close();
});

describe('fault injection', () => {
  it('aborts its share of requests', async () => {
    const statuses: number[] = [];
    for (let batch = 0; batch < 8; batch++) {
      const replies = await Promise.all(Array.from({ length: 50 }, () => send('/half')));
      statuses.push(...replies.map((r) => r.status));
    }
    const aborted = statuses.filter((s) => s === 418).length;
    expect(aborted + statuses.filter((s) => s === 200).length).toBe(400);
    // 50% of 400: mean 200, standard deviation 10; eight deviations either side never flake.
    expect(aborted).toBeGreaterThan(120);
    expect(aborted).toBeLessThan(280);
    expect(proxy.stats.counter('http.policy.fault.aborts_injected').value).toBeGreaterThanOrEqual(aborted);
  });

  it('aborts with a gRPC status', async () => {
    const reply = await send('/grpc');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/grpc');
    expect(reply.headers['grpc-status']).toBe('14');
  });

  it('delays a request, then forwards it with its body', async () => {
    const start = performance.now();
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/delay', method: 'POST', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end('payload');
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('upstream /delay');
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
    expect(proxy.stats.counter('http.policy.fault.delays_injected').value).toBeGreaterThanOrEqual(1);
  });

  it('delays, then aborts', async () => {
    const start = performance.now();
    const reply = await send('/both');
    expect(reply.status).toBe(500);
    expect(reply.body).toBe('fault filter abort');
    expect(performance.now() - start).toBeGreaterThanOrEqual(90);
  });

  it('takes the most specific config: the virtual host aborts, a route clears it', async () => {
    expect((await send('/other')).status).toBe(503);
    const calm = await send('/calm');
    expect(calm.status).toBe(200);
    expect(calm.body).toBe('upstream /calm');
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin', async () => {
    const reply = await send('/cors', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    expect(reply.status).toBe(200);
    expect(reply.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(reply.headers['access-control-allow-methods']).toBe('GET,POST');
    expect(reply.headers['access-control-allow-headers']).toBe('x-custom');
    expect(reply.headers['access-control-max-age']).toBe('60');
    expect(reply.headers['access-control-allow-credentials']).toBe('true');
  });

  it('adds the CORS headers to an actual request of an allowed origin only', async () => {
    const allowed = await send('/cors', { headers: { origin: 'https://app.example' } });
    expect(allowed.body).toBe('upstream /cors');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(allowed.headers['access-control-expose-headers']).toBe('x-served');
    const other = await send('/cors', { headers: { origin: 'https://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('route fields from VirtualServices', () => {
  it('mirrors a request with its body to the shadow host and ignores the answer', async () => {
    const seen = new Promise<void>((resolve) => (onMirrored = resolve));
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/mirrored/x', method: 'POST', headers: { host: 'reviews:9080' }, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end('copy me');
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('upstream /mirrored/x');
    await seen;
    expect(mirrored.at(-1)).toEqual({ url: '/mirrored/x', host: 'reviews-shadow:9080', body: 'copy me' });
  });

  it('answers the main request when the mirror cluster is down', async () => {
    const reply = await send('/mirror-dead');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('upstream /mirror-dead');
  });

  it('rewrites the path with regex_rewrite', async () => {
    expect((await send('/api/users/42')).body).toBe('upstream /v2/users?id=42');
  });

  it('keeps a hash key on one host of a RING_HASH cluster', async () => {
    const hostsOf = async (user: string) => new Set(await Promise.all(Array.from({ length: 10 }, async () => (await send('/sticky', { headers: { 'x-user': user } })).body)));
    const users = ['ann', 'bob', 'cid', 'dee', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon', 'kim', 'lee'];
    const picks = await Promise.all(users.map(hostsOf));
    for (const hosts of picks) expect(hosts.size).toBe(1);
    // Different keys spread over the hosts (twelve keys on one host of three: a broken hash).
    expect(new Set(picks.map((h) => [...h][0])).size).toBeGreaterThan(1);
  });

  it('answers 408 when max_stream_duration passes', async () => {
    const reply = await send('/bounded');
    expect(reply.status).toBe(408);
    expect(reply.body).toBe('downstream duration timeout');
  });
});

describe('upgrades', () => {
  const upgradeRequest = (path: string) => `GET ${path} HTTP/1.1\r\nHost: chat\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;

  it('passes a WebSocket upgrade through, then tunnels bytes both ways', async () => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const waitFor = (text: string) => new Promise<void>((resolve) => {
      const check = () => {
        if (received.includes(text)) {
          socket.off('data', check);
          resolve();
        }
      };
      socket.on('data', check);
      check();
    });
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.write(upgradeRequest('/ws'));
    await waitFor('\r\n\r\n');
    expect(received).toMatch(/^HTTP\/1\.1 101 /);
    expect(received.toLowerCase()).toContain('upgrade: websocket');
    socket.write('ping over the tunnel');
    await waitFor('ping over the tunnel');
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.destroy();
    await closed;
  });

  it('forwards an h2c upgrade request as plain HTTP/1.1', async () => {
    const calm = await send('/calm', { headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQAoAAAAAIAAAAA' } });
    expect(calm.status).toBe(200);
    expect(calm.body).toBe('upstream /calm');
  });

  it('refuses an upgrade its route turns off with 403', async () => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    const done = new Promise<void>((resolve) => socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (received.includes('\r\n\r\n')) resolve();
    }));
    socket.write(upgradeRequest('/no-ws'));
    await done;
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 403 /);
  });
});
