import fc from 'fast-check';
import { createServer as createHttpServer, request, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRouteTable, ConfigError } from '@mizzen/filters';
import { decode, encode, TypeUrl } from '@mizzen/xds';
import { freePort } from '@mizzen/testing';
import { address, httpFilter, listener, routeConfig, staticCluster } from '../test/bootstrap-builder.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';
import { compileCluster, compileLoadAssignment } from './upstream/cluster-config.ts';

// Nothing a peer sends can take the proxy down: random and mutated bytes from clients, from
// upstreams, and in xDS messages. Each property runs a bounded number of cases so the suite
// stays fast; a failure prints its counterexample and seed to replay.

type Mutation = { at: number; byte: number; kind: 'insert' | 'delete' | 'replace' };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat({ max: 2000 }),
  byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0d, 0x0a, 0x20, 0x3a, 0x00, 0x30)),
  kind: fc.constantFrom('insert' as const, 'delete' as const, 'replace' as const),
});

function mutate(seed: Buffer, mutations: readonly Mutation[]): Buffer {
  const bytes = [...seed];
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
    else if (m.kind === 'delete') bytes.splice(at, 1);
    else bytes[at] = m.byte;
  }
  return Buffer.from(bytes);
}

const mutated = (seeds: Buffer[], max = 5) =>
  fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: max })).map(([seed, ms]) => mutate(seed, ms));

describe('the data path under random bytes', () => {
  let proxy: ProxyServer;
  let port: number;
  let app: HttpServer;
  let raw: Server;
  /** What the raw upstream answers to the next request. */
  let upstreamReply: Buffer = Buffer.alloc(0);

  beforeAll(async () => {
    app = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    raw = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end(upstreamReply));
    });
    const listenOn = (server: Server | HttpServer) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    const [appPort, rawPort] = [await listenOn(app), await listenOn(raw)];
    port = await freePort();
    const routes = [{ match: { prefix: '/raw' }, route: { cluster: 'raw', timeout: '2s' } }, { match: { prefix: '/' }, route: { cluster: 'app' } }];
    const bootstrap = compileBootstrap({
      admin: { address: address(0) },
      static_resources: {
        listeners: [listener('http', port, [httpFilter('fuzz', { route_config: routeConfig('local', routes) })])],
        clusters: [staticCluster('app', [{ port: appPort }]), staticCluster('raw', [{ port: rawPort }])],
      },
    });
    proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 100, concurrency: 1 });
    await proxy.start();
  });

  afterAll(async () => {
    await proxy.stop(0);
    app.close();
    raw.close();
  });

  /** Sends bytes, half-closes, and resolves with what came back once the proxy closes. */
  function exchange(bytes: Buffer): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let reply = '';
      socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => resolve(reply));
      socket.end(bytes);
    });
  }

  function stillServing(): Promise<number> {
    return new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject).end();
    });
  }

  const requestSeeds = [
    'GET /a HTTP/1.1\r\nHost: h\r\n\r\n',
    'POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc',
    'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /d HTTP/1.1\r\nHost: h\r\n\r\n',
  ].map((s) => Buffer.from(s, 'latin1'));

  it('answers or closes on every mutated request, and keeps serving', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(mutated(requestSeeds), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a))), async (bytes) => {
      const reply = await exchange(bytes);
      // Whatever came back is HTTP responses (or nothing, for bytes that never made a request).
      expect(reply === '' || reply.startsWith('HTTP/1.')).toBe(true);
    }), { numRuns: 60 });
    expect(await stillServing()).toBe(200);
  });

  const responseSeeds = [
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n',
  ].map((s) => Buffer.from(s, 'latin1'));

  it('survives mutated upstream responses, answering the client with a status', async () => {
    await fc.assert(fc.asyncProperty(mutated(responseSeeds), async (bytes) => {
      upstreamReply = bytes;
      const reply = await exchange(Buffer.from('GET /raw HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'));
      expect(reply === '' || /^HTTP\/1\.1 \d{3}/.test(reply)).toBe(true);
    }), { numRuns: 40 });
    expect(await stillServing()).toBe(200);
  });
});

describe('xDS resources under random bytes', () => {
  const samples: [string, object, (json: unknown) => unknown][] = [
    [TypeUrl.Cluster, {
      name: 'outbound|80||a.default.svc.cluster.local', type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {} } },
      circuit_breakers: { thresholds: [{ max_connections: 10 }] }, outlier_detection: { consecutive_5xx: 3, interval: '1s' },
      health_checks: [{ timeout: '1s', interval: '2s', unhealthy_threshold: 2, healthy_threshold: 1, http_health_check: { path: '/healthz' } }],
    }, (json) => compileCluster(json)],
    [TypeUrl.ClusterLoadAssignment, {
      cluster_name: 'a', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } } }] }],
    }, (json) => compileLoadAssignment(json)],
    [TypeUrl.RouteConfiguration, {
      name: '80', virtual_hosts: [{ name: 'a:80', domains: ['a', 'a:80'], routes: [{ match: { prefix: '/' }, route: { cluster: 'a', timeout: '0s', retry_policy: { retry_on: '5xx', num_retries: 2 } } }] }],
    }, (json) => compileRouteTable(json)],
  ];

  it('a DiscoveryResponse: decoding its resources fails with an Error, never anything else', () => {
    const type = 'envoy.service.discovery.v3.DiscoveryResponse';
    const seed = Buffer.from(encode(type, {
      version_info: '1', type_url: TypeUrl.Cluster, nonce: 'n',
      resources: [{ '@type': TypeUrl.Cluster, name: 'c', type: 'STATIC', connect_timeout: '1s' }],
    }));
    fc.assert(fc.property(mutated([seed], 8), (bytes) => {
      try {
        decode(type, bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
      }
    }), { numRuns: 1500 });
  });

  it.each(samples)('%s: decoding fails with an Error and compiling with a ConfigError, never anything else', (typeUrl, sample, compile) => {
    const seed = Buffer.from(encode(typeUrl, sample));
    fc.assert(fc.property(fc.oneof(mutated([seed], 8), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a))), (bytes) => {
      let json: unknown;
      try {
        json = decode(typeUrl, bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        return;
      }
      try {
        compile(json);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
      }
    }), { numRuns: 1500 });
  });
});
