import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, TypeUrl, type JsonObject } from '@mizzen/xds';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { FakeControlPlane } from '../../test/fake-control-plane.ts';
import { createTestPki, type Pem, type TestPki } from '../../test/test-certificates.ts';
import { tlsGet } from '../../test/tls-client.ts';
import { configDump } from '../admin/config-dump.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

let pki: TestPki;
let first: Pem;
let second: Pem;
let cp: FakeControlPlane;
let proxy: ProxyServer;
let port: number;

const secret = (name: string, pem: Pem): JsonObject => ({
  '@type': TypeUrl.Secret, name, tls_certificate: { certificate_chain: { inline_string: pem.cert }, private_key: { inline_string: pem.key } },
});

function tlsListener(): JsonObject {
  const filters = [httpFilter('sds', { route_config: routeConfig('sds', [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'over sds' } } }]) })];
  const l = listener('tls', port, filters) as { filter_chains: object[] };
  return {
    '@type': TypeUrl.Listener,
    ...l,
    filter_chains: [{
      ...l.filter_chains[0],
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': TypeUrl.DownstreamTlsContext,
          common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: { ads: {}, resource_api_version: 'V3' } }] },
        },
      },
    }],
  };
}

function refused(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', () => resolve(true)).once('connect', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

beforeAll(async () => {
  pki = await createTestPki();
  first = await pki.issue('first', ['URI:spiffe://cluster.local/ns/default/sa/first']);
  second = await pki.issue('second', ['URI:spiffe://cluster.local/ns/default/sa/second']);
  port = await freePort();
  cp = new FakeControlPlane();
  const adsPort = await cp.server.listen('127.0.0.1:0');
  cp.update(TypeUrl.Listener, 'l1', [tlsListener()]);
  const bootstrap = compileBootstrap({
    node: { id: 'sidecar~127.0.0.1~sds.default~default.svc.cluster.local', cluster: 'sds.default' },
    dynamic_resources: {
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
      lds_config: { ads: {} },
    },
    static_resources: { clusters: [staticCluster('xds-grpc', [{ port: adsPort }])] },
  });
  // Two threads: secrets must reach the worker's listeners too, whichever thread a client lands on.
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 2 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  await proxy?.stop(0);
  await cp?.server.close();
  await pki?.cleanup();
});

describe('certificates from SDS over ADS', () => {
  it('asks for the secrets a listener names, and keeps the listener unbound until they arrive', async () => {
    await cp.until(() => (cp.subscribed.get(TypeUrl.Secret) ?? []).includes('default'));
    await cp.until(() => cp.acks.some((a) => a.typeUrl === TypeUrl.Listener && a.version === 'l1'));
    expect(await refused()).toBe(true);
    expect(proxy.state()).toBe('INITIALIZING');
    const whole = configDump(proxy, false);
    const dump = whole.configs as JsonObject[];
    expect(dump.find((c) => c['@type'] === TypeUrl.ListenersConfigDump)).toMatchObject({ dynamic_listeners: [{ name: 'tls', warming_state: { version_info: 'l1' } }] });
    // Envoy's own ConfigDump message takes it as it is.
    expect(decode(TypeUrl.ConfigDump, encode(TypeUrl.ConfigDump, whole))).toMatchObject({ configs: expect.any(Array) });
  });

  it('binds and serves TLS once the secret arrives', async () => {
    cp.update(TypeUrl.Secret, 's1', [secret('default', first)]);
    await proxy.live;
    const result = await tlsGet(port, { ca: pki.ca.cert });
    expect(result).toMatchObject({ status: 200, body: 'over sds' });
    expect(result.serverSans).toContain('sa/first');
  });

  it('rotates the certificate for new connections without a listener update', async () => {
    cp.update(TypeUrl.Secret, 's2', [secret('default', second)]);
    await cp.until(() => cp.acks.some((a) => a.typeUrl === TypeUrl.Secret && a.version === 's2'));
    for (let i = 0; i < 6; i++) expect((await tlsGet(port, { ca: pki.ca.cert })).serverSans).toContain('sa/second');
  });

  it('NACKs a bad secret, naming the field, and keeps serving the last good one', async () => {
    cp.update(TypeUrl.Secret, 's3', [{ '@type': TypeUrl.Secret, name: 'default', tls_certificate: { certificate_chain: { inline_string: second.cert } } }]);
    // A NACK carries the last version accepted.
    await cp.until(() => cp.nacks.some((n) => n.typeUrl === TypeUrl.Secret));
    expect(cp.nacks.find((n) => n.typeUrl === TypeUrl.Secret)).toMatchObject({ version: 's2', error: expect.stringContaining('Secret[0].tls_certificate.private_key: required') });
    expect((await tlsGet(port, { ca: pki.ca.cert })).serverSans).toContain('sa/second');
  });

  it('shows secrets in the config dump with the private key redacted', () => {
    const whole = configDump(proxy, false);
    expect(() => encode(TypeUrl.ConfigDump, whole)).not.toThrow();
    const dump = whole.configs as JsonObject[];
    const secrets = dump.find((c) => c['@type'] === TypeUrl.SecretsConfigDump) as { dynamic_active_secrets: { name: string; version_info: string; secret: JsonObject }[] };
    expect(secrets.dynamic_active_secrets).toHaveLength(1);
    expect(secrets.dynamic_active_secrets[0]).toMatchObject({ name: 'default', version_info: 's2', secret: { tls_certificate: { private_key: { inline_string: '[redacted]' } } } });
    expect(JSON.stringify(secrets)).not.toContain('PRIVATE KEY');
  });
});
