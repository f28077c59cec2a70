import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdsServer, DeltaAdsServer, TypeUrl, type JsonObject } from '@mizzen/xds';
import { freePort } from '@mizzen/testing';
import { address, httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { configDump } from '../admin/config-dump.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

const CLUSTER = 'outbound|80||backend.default.svc.cluster.local';

/** A delta control plane of one stream: sends each subscribed type's desired set, records ACKs and NACKs. */
class DeltaControlPlane {
  readonly desired = new Map<string, { version: string; list: JsonObject[] }>();
  readonly acks: { typeUrl: string; version: string }[] = [];
  readonly nacks: { typeUrl: string; error: string }[] = [];
  readonly delta: DeltaAdsServer;
  readonly server: AdsServer;
  private stream = '';
  private readonly subscribed = new Set<string>();
  private waiters: (() => void)[] = [];

  constructor() {
    const ignore = (): void => {};
    this.delta = new DeltaAdsServer({
      onStreamOpen: (s) => (this.stream = s.id),
      onSubscribe: (id, typeUrl) => {
        this.subscribed.add(typeUrl);
        this.send(id, typeUrl);
      },
      onAck: (_id, typeUrl, version) => this.record(() => this.acks.push({ typeUrl, version })),
      onNack: (_id, typeUrl, _version, _nonce, error) => this.record(() => this.nacks.push({ typeUrl, error })),
      onStreamClose: ignore,
    });
    this.server = new AdsServer({ onStreamOpen: ignore, onSubscribe: ignore, onAck: ignore, onNack: ignore, onStreamClose: ignore }, { delta: this.delta });
  }

  private send(id: string, typeUrl: string): void {
    const entry = this.desired.get(typeUrl);
    if (entry) this.delta.pushDesired(id, typeUrl, entry.list, entry.version);
  }

  private record(fn: () => void): void {
    fn();
    for (const w of this.waiters.splice(0)) w();
  }

  update(typeUrl: string, version: string, list: JsonObject[]): void {
    this.desired.set(typeUrl, { version, list });
    if (this.stream && this.subscribed.has(typeUrl)) this.send(this.stream, typeUrl);
  }

  async until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

let upstream: Server;
let cp: DeltaControlPlane;
let proxy: ProxyServer;
let port: number;

const routes = (version: string) => ({ '@type': TypeUrl.RouteConfiguration, ...routeConfig('80', [
  { match: { prefix: '/version' }, direct_response: { status: 200, body: { inline_string: version } } },
  { match: { prefix: '/' }, route: { cluster: CLUSTER } },
]) });

beforeAll(async () => {
  upstream = createServer((req, res) => res.end(`upstream ${req.url}`));
  const upstreamPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
  port = await freePort();
  cp = new DeltaControlPlane();
  const adsPort = await cp.server.listen('127.0.0.1:0');
  cp.update(TypeUrl.Cluster, 'c1', [{ '@type': TypeUrl.Cluster, name: CLUSTER, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {} } } }]);
  cp.update(TypeUrl.ClusterLoadAssignment, 'e1', [{ '@type': TypeUrl.ClusterLoadAssignment, cluster_name: CLUSTER, endpoints: [{ lb_endpoints: [{ endpoint: { address: address(upstreamPort) } }] }] }]);
  cp.update(TypeUrl.Listener, 'l1', [{ '@type': TypeUrl.Listener, ...listener('127.0.0.1_80', port, [httpFilter('outbound_80', { rds: { route_config_name: '80', config_source: { ads: {} } } })]) }]);
  cp.update(TypeUrl.RouteConfiguration, 'r1', [routes('r1')]);
  const bootstrap = compileBootstrap({
    node: { id: 'sidecar~127.0.0.1~delta.default~default.svc.cluster.local', cluster: 'delta.default' },
    dynamic_resources: {
      ads_config: { api_type: 'DELTA_GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
      cds_config: { ads: {} },
      lds_config: { ads: {} },
    },
    static_resources: { clusters: [staticCluster('xds-grpc', [{ port: adsPort }])] },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
  await proxy.live;
}, 30_000);

afterAll(async () => {
  await proxy?.stop(0);
  await cp?.server.close();
  upstream?.close();
});

async function get(path: string): Promise<{ status: number; body: string }> {
  const client = new RawHttpClient(port);
  await client.send(`GET ${path} HTTP/1.1\r\nHost: backend\r\n\r\n`);
  const [res] = await client.waitFor(1);
  client.close();
  return { status: res.status, body: res.body.toString() };
}

describe('delta ADS (api_type DELTA_GRPC)', () => {
  it('warms clusters, endpoints, listeners and routes over delta xDS and serves traffic', async () => {
    expect(await get('/x')).toEqual({ status: 200, body: 'upstream /x' });
    await cp.until(() => ['c1', 'e1', 'l1', 'r1'].every((v) => cp.acks.some((a) => a.version === v)));
  });

  it('applies a changed resource and leaves the others as they were', async () => {
    cp.update(TypeUrl.RouteConfiguration, 'r2', [routes('r2')]);
    await cp.until(() => cp.acks.some((a) => a.version === 'r2'));
    expect(await get('/version')).toEqual({ status: 200, body: 'r2' });
    const listeners = (configDump(proxy, false).configs as JsonObject[]).find((c) => c['@type'] === TypeUrl.ListenersConfigDump);
    expect(listeners).toMatchObject({ dynamic_listeners: [{ name: '127.0.0.1_80', active_state: { version_info: 'l1' } }] });
  });

  it('NACKs a listener it cannot build, naming the field, and keeps serving', async () => {
    const bad = { '@type': TypeUrl.Listener, ...listener('127.0.0.1_80', port, [httpFilter('outbound_80', { rds: { route_config_name: '80', config_source: { ads: {} } } })]), per_connection_buffer_limit_bytes: 1024 };
    cp.update(TypeUrl.Listener, 'l2', [bad]);
    await cp.until(() => cp.nacks.some((n) => n.typeUrl === TypeUrl.Listener));
    expect(cp.nacks.find((n) => n.typeUrl === TypeUrl.Listener)?.error).toContain('per_connection_buffer_limit_bytes: not supported');
    expect(await get('/version')).toEqual({ status: 200, body: 'r2' });
  });
});
