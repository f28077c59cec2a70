import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TypeUrl, type JsonObject } from '@mizzen/xds';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { FakeControlPlane } from '../../test/fake-control-plane.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { createTestPki } from '../../test/test-certificates.ts';
import { tlsGet } from '../../test/tls-client.ts';
import { configDump } from '../admin/config-dump.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

let cp: FakeControlPlane;
let proxy: ProxyServer;
const ports = { first: 0, second: 0, tls: 0 };

const answering = (name: string, port: number): JsonObject => ({
  '@type': TypeUrl.Listener,
  ...listener(name, port, [httpFilter(name, { route_config: routeConfig(name, [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: name } } }]) })]),
});
/** A listener whose routes (RDS "never") the control plane never sends. */
const waitingForRoutes = (port: number): JsonObject => ({
  '@type': TypeUrl.Listener, ...listener('second', port, [httpFilter('second', { rds: { route_config_name: 'never', config_source: { ads: {} } } })]),
});

beforeAll(async () => {
  ports.first = await freePort();
  ports.second = await freePort();
  ports.tls = await freePort();
  cp = new FakeControlPlane();
  const adsPort = await cp.server.listen('127.0.0.1:0');
  // No clusters and no routes will ever come: only listeners.
  cp.update(TypeUrl.Listener, 'l1', [answering('first', ports.first), waitingForRoutes(ports.second)]);
  const bootstrap = compileBootstrap({
    node: { id: 'sidecar~127.0.0.1~slow.default~default.svc.cluster.local', cluster: 'slow.default' },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
      cds_config: { ads: {}, initial_fetch_timeout: '0.2s' },
      lds_config: { ads: {}, initial_fetch_timeout: '0.3s' },
    },
    static_resources: { clusters: [staticCluster('xds-grpc', [{ port: adsPort }])] },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 5_000, concurrency: 1 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  await proxy?.stop(0);
  await cp?.server.close();
});

describe('initial_fetch_timeout', () => {
  it('goes on to LDS when CDS does not answer in time, and becomes live when RDS does not either', async () => {
    await proxy.live;
    expect(proxy.stats.counter('cluster_manager.cds.init_fetch_timeout').value).toBe(1);
    expect(proxy.stats.counter('listener_manager.lds.init_fetch_timeout').value).toBe(1);
    // On a loaded machine the listeners may land after the LDS stage timed out: wait for them
    // (and the RDS request they make) rather than assume they came first.
    await cp.until(() => cp.acks.some((a) => a.typeUrl === TypeUrl.Listener && a.version === 'l1') && cp.subscribed.has(TypeUrl.RouteConfiguration));
    expect(cp.subscribed.get(TypeUrl.RouteConfiguration)).toEqual(['never']);
    const client = new RawHttpClient(ports.first);
    await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await client.waitFor(1))[0].body.toString()).toBe('first');
    client.close();
  });
});

describe('an LDS update', () => {
  it('keeps a listener whose resource did not change exactly as it is, open connections included', async () => {
    const client = new RawHttpClient(ports.first);
    await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.waitFor(1);
    cp.update(TypeUrl.Listener, 'l2', [answering('first', ports.first), answering('second', ports.second)]);
    await cp.until(() => cp.acks.some((a) => a.version === 'l2'));
    const dump = (configDump(proxy, false).configs as JsonObject[]).find((c) => c['@type'] === TypeUrl.ListenersConfigDump) as { dynamic_listeners: { name: string; active_state: { version_info: string } }[] };
    expect(Object.fromEntries(dump.dynamic_listeners.map((l) => [l.name, l.active_state.version_info]))).toEqual({ first: 'l1', second: 'l2' });
    // The connection was not drained: it still carries requests.
    await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await client.waitFor(2))[1].body.toString()).toBe('first');
    expect(client.closed).toBe(false);
    client.close();
  });

  it('does not rebuild an unchanged listener, so a certificate file it read once may go away', async () => {
    const pki = await createTestPki();
    const pem = await pki.issue('files', ['DNS:files.example']);
    const files = { cert: join(tmpdir(), `mizzen-lds-${process.pid}.pem`), key: join(tmpdir(), `mizzen-lds-${process.pid}.key`) };
    await writeFile(files.cert, pem.cert);
    await writeFile(files.key, pem.key);
    const fromFiles = answering('tls', ports.tls) as { filter_chains: JsonObject[] };
    const tls = { ...fromFiles, filter_chains: [{ ...fromFiles.filter_chains[0], transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: {
      '@type': TypeUrl.DownstreamTlsContext, common_tls_context: { tls_certificates: [{ certificate_chain: { filename: files.cert }, private_key: { filename: files.key } }] },
    } } }] };
    cp.update(TypeUrl.Listener, 'l3', [answering('first', ports.first), answering('second', ports.second), tls]);
    await cp.until(() => cp.acks.some((a) => a.version === 'l3'));
    await rm(files.cert);
    await rm(files.key);
    cp.update(TypeUrl.Listener, 'l4', [answering('first', ports.first), answering('renamed', ports.second), tls]);
    await cp.until(() => cp.acks.some((a) => a.version === 'l4') || cp.nacks.length > 0);
    expect(cp.nacks).toEqual([]);
    expect(await tlsGet(ports.tls, { ca: pki.ca.cert })).toMatchObject({ status: 200, body: 'tls' });
    await pki.cleanup();
  });
});
