import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TypeUrl, type JsonObject } from '@mizzen/xds';
import { freePort } from '@mizzen/testing';
import { getHeader } from '@mizzen/filters';
import { address, httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { FakeControlPlane } from '../../test/fake-control-plane.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

const CLUSTER = 'outbound|80||backend.default.svc.cluster.local';

let upstream: Server;
let upstreamPort: number;
let cp: FakeControlPlane;
let proxy: ProxyServer;
let listenerPort: number;

const cluster = { '@type': TypeUrl.Cluster, name: CLUSTER, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { service_name: CLUSTER, eds_config: { ads: {} } } };
const endpoints = () => ({ '@type': TypeUrl.ClusterLoadAssignment, cluster_name: CLUSTER, endpoints: [{ lb_endpoints: [{ endpoint: { address: address(upstreamPort) } }] }] });
const routes = (extra: JsonObject[] = []) => ({ '@type': TypeUrl.RouteConfiguration, ...routeConfig('80', [...extra, { match: { prefix: '/' }, route: { cluster: CLUSTER } }]) });
const outbound = (statPrefix: string) => ({ '@type': TypeUrl.Listener, ...listener('127.0.0.1_80', listenerPort, [httpFilter(statPrefix, { rds: { route_config_name: '80', config_source: { ads: {} } } })]) });

beforeAll(async () => {
  upstream = createServer((req, res) => res.end(`upstream ${req.url}`));
  upstreamPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
  listenerPort = await freePort();
  cp = new FakeControlPlane();
  const adsPort = await cp.server.listen('127.0.0.1:0');
  cp.update(TypeUrl.Cluster, 'c1', [cluster]);
  cp.update(TypeUrl.ClusterLoadAssignment, 'e1', [endpoints()]);
  cp.update(TypeUrl.Listener, 'l1', [outbound('outbound_80')]);
  cp.update(TypeUrl.RouteConfiguration, 'r1', [routes()]);
  const bootstrap = compileBootstrap({
    node: { id: 'sidecar~127.0.0.1~test.default~default.svc.cluster.local', cluster: 'test.default' },
    admin: { address: address(0) },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
      cds_config: { ads: {} },
      lds_config: { ads: {} },
    },
    static_resources: { clusters: [staticCluster('xds-grpc', [{ port: adsPort }])] },
  });
  // Two threads: every update must reach the worker too, whichever thread a client lands on.
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 5000, concurrency: 2 });
  await proxy.start();
  await proxy.live;
}, 30_000);

afterAll(async () => {
  await proxy.stop(0);
  await cp.server.close();
  upstream.close();
});

async function stat(name: string): Promise<number | undefined> {
  return (await proxy.statEntries()).find((e) => e.name === name)?.value;
}

async function get(client: RawHttpClient, path: string): Promise<{ status: number; body: string; headers: string[] }> {
  const before = client.responses.length;
  await client.send(`GET ${path} HTTP/1.1\r\nHost: backend\r\n\r\n`);
  const res = (await client.waitFor(before + 1))[before];
  return { status: res.status, body: res.body.toString(), headers: res.headers };
}

describe('configuration over ADS', () => {
  it('warms CDS then EDS, then LDS and RDS, and serves traffic', async () => {
    expect(proxy.state()).toBe('LIVE');
    const client = new RawHttpClient(listenerPort);
    expect(await get(client, '/x')).toMatchObject({ status: 200, body: 'upstream /x' });
    client.close();
    await cp.until(() => ['c1', 'e1', 'l1', 'r1'].every((v) => cp.acks.some((a) => a.version === v)));
    expect(await stat('cluster_manager.cds.update_success')).toBe(1);
    expect(await stat('listener_manager.lds.update_success')).toBe(1);
  });

  it('NACKs a bad route configuration and keeps serving the last good one', async () => {
    const bad = routes([{ match: { safe_regex: { regex: '(' } }, route: { cluster: CLUSTER } }]);
    cp.update(TypeUrl.RouteConfiguration, 'r2', [bad]);
    // A NACK carries the last good version; the rejected one shows in the error.
    await cp.until(() => cp.nacks.some((n) => n.typeUrl === TypeUrl.RouteConfiguration));
    expect(cp.nacks.find((n) => n.typeUrl === TypeUrl.RouteConfiguration)).toMatchObject({ version: 'r1' });
    expect(cp.nacks.find((n) => n.typeUrl === TypeUrl.RouteConfiguration)?.error).toContain('RouteConfiguration[0].virtual_hosts[0].routes[0].match.safe_regex.regex: invalid regular expression');
    const client = new RawHttpClient(listenerPort);
    expect(await get(client, '/still')).toMatchObject({ status: 200, body: 'upstream /still' });
    client.close();
  });

  it('NACKs a bad cluster without touching the running ones', async () => {
    cp.update(TypeUrl.Cluster, 'c2', [cluster, { '@type': TypeUrl.Cluster, name: 'dns', type: 'LOGICAL_DNS' }]);
    await cp.until(() => cp.nacks.some((n) => n.typeUrl === TypeUrl.Cluster));
    expect(cp.nacks.find((n) => n.typeUrl === TypeUrl.Cluster)?.error).toContain('Cluster[1].load_assignment: LOGICAL_DNS clusters take exactly one endpoint');
    expect(proxy.clusters.getCluster(CLUSTER)).toBeDefined();
  });

  it('NACKs what breaks the rules in Envoy\'s protos', async () => {
    cp.update(TypeUrl.Listener, 'l-bad', [{ ...outbound('outbound_80'), address: address(70000) }]);
    await cp.until(() => cp.nacks.some((n) => n.typeUrl === TypeUrl.Listener));
    expect(cp.nacks.find((n) => n.typeUrl === TypeUrl.Listener)?.error).toMatch(/^resource 0 \(127\.0\.0\.1_80\): .*port_value/);
    cp.update(TypeUrl.Listener, 'l1', [outbound('outbound_80')]);
    await cp.until(() => cp.acks.filter((a) => a.version === 'l1').length >= 2);
  });

  it('applies a new route configuration to running listeners', async () => {
    cp.update(TypeUrl.RouteConfiguration, 'r3', [routes([{ match: { prefix: '/teapot' }, direct_response: { status: 418 } }])]);
    await cp.until(() => cp.acks.some((a) => a.version === 'r3'));
    const client = new RawHttpClient(listenerPort);
    expect((await get(client, '/teapot')).status).toBe(418);
    client.close();
  });

  it('follows EDS updates', async () => {
    cp.update(TypeUrl.ClusterLoadAssignment, 'e2', [{ '@type': TypeUrl.ClusterLoadAssignment, cluster_name: CLUSTER }]);
    await cp.until(() => cp.acks.some((a) => a.version === 'e2'));
    const client = new RawHttpClient(listenerPort);
    expect(await get(client, '/none')).toMatchObject({ status: 503, body: 'no healthy upstream' });
    cp.update(TypeUrl.ClusterLoadAssignment, 'e3', [endpoints()]);
    await cp.until(() => cp.acks.some((a) => a.version === 'e3'));
    expect((await get(client, '/back')).status).toBe(200);
    client.close();
  });

  it('drains connections of a replaced listener while new ones get the new config', async () => {
    const old = new RawHttpClient(listenerPort);
    expect((await get(old, '/before')).status).toBe(200);
    cp.update(TypeUrl.Listener, 'l2', [outbound('outbound_80_v2')]);
    await cp.until(() => cp.acks.some((a) => a.version === 'l2'));
    const last = await get(old, '/during');
    expect(last.status).toBe(200);
    expect(getHeader(last.headers, 'connection')).toBe('close');
    await old.waitClosed();
    const fresh = new RawHttpClient(listenerPort);
    expect((await get(fresh, '/after')).status).toBe(200);
    fresh.close();
    expect(await stat('http.outbound_80_v2.downstream_rq_total')).toBe(1);
  });

  it('shows versions in the config dump', async () => {
    const dump = JSON.parse(JSON.stringify(await import('../admin/config-dump.ts').then((m) => m.configDump(proxy, true)))) as { configs: JsonObject[] };
    const clusters = dump.configs[1] as { version_info: string; dynamic_active_clusters: { version_info: string }[] };
    expect(clusters.version_info).toBe('c1');
    const listeners = dump.configs[2] as { version_info: string; dynamic_listeners: { name: string; active_state: { version_info: string } }[] };
    expect(listeners.dynamic_listeners[0]).toMatchObject({ name: '127.0.0.1_80', active_state: { version_info: 'l2' } });
    const routesDump = dump.configs[3] as { dynamic_route_configs: { version_info: string }[] };
    expect(routesDump.dynamic_route_configs[0].version_info).toBe('r3');
    expect((dump.configs[4] as { dynamic_endpoint_configs: unknown[] }).dynamic_endpoint_configs).toHaveLength(1);
  });

  it('keeps the current listener serving while its replacement waits for new routes', async () => {
    const waiting = { '@type': TypeUrl.Listener, ...listener('127.0.0.1_80', listenerPort, [httpFilter('outbound_81', { rds: { route_config_name: '81', config_source: { ads: {} } } })]) };
    cp.update(TypeUrl.Listener, 'l3', [waiting]);
    await cp.until(() => cp.acks.some((a) => a.version === 'l3'));
    const before = new RawHttpClient(listenerPort);
    expect(await get(before, '/warming')).toMatchObject({ status: 200, body: 'upstream /warming' });
    before.close();
    const r81 = { '@type': TypeUrl.RouteConfiguration, ...routeConfig('81', [{ match: { prefix: '/' }, direct_response: { status: 201 } }]) };
    cp.update(TypeUrl.RouteConfiguration, 'r4', [routes(), r81]);
    await cp.until(() => cp.acks.some((a) => a.version === 'r4'));
    const after = new RawHttpClient(listenerPort);
    expect((await get(after, '/warmed')).status).toBe(201);
    after.close();
  });
});
