import { createServer as createHttpServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
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
    req.on('end', () => res.end(`upstream ${req.url}`));
  });
  const upstreamPort = await listen(upstream);
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
    { match: { prefix: '/' }, route: { cluster: 'backend' } },
  ];
  const hcm = {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM,
      stat_prefix: 'policy',
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
    static_resources: { listeners: [listener('http', port, [hcm])], clusters: [staticCluster('backend', [{ port: upstreamPort }])] },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 100, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
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
