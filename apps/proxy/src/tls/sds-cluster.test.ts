import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adsServiceDefinition, deltaAdsServiceDefinition, packAny, TypeUrl, type JsonObject } from '@mizzen/xds';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { FakeControlPlane } from '../../test/fake-control-plane.ts';
import { createTestPki, type Pem, type TestPki } from '../../test/test-certificates.ts';
import { tlsGet } from '../../test/tls-client.ts';
import { configDump } from '../admin/config-dump.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';
import { deltaSecretsPath, streamSecretsPath } from '../xds/sds-transport.ts';

type Request = {
  version_info?: string; resource_names?: string[]; resource_names_subscribe?: string[]; response_nonce?: string;
  error_detail?: { message?: string }; node?: JsonObject;
};
type Stream = grpc.ServerDuplexStream<Request, unknown>;

/** A secret server (the agent's side of SDS), state of the world or delta: serves the current
 *  secrets to every stream and records what the proxy asks for, ACKs and NACKs. */
class SecretServer {
  readonly server = new grpc.Server();
  readonly nodes: JsonObject[] = [];
  readonly subscribed: string[][] = [];
  /** Versions ACKed, and NACKs with the version the proxy keeps (state of the world only). */
  readonly acks: string[] = [];
  readonly nacks: { version?: string; message: string }[] = [];
  private readonly streams = new Set<Stream>();
  private readonly delta: boolean;
  private readonly sentVersions = new Map<string, string>();
  private current: { version: string; secrets: JsonObject[] } | undefined;
  private nonce = 0;
  private waiters: (() => void)[] = [];

  constructor(delta: boolean) {
    this.delta = delta;
    const [name, method, path] = delta
      ? ['DeltaSecrets', deltaAdsServiceDefinition.DeltaAggregatedResources, deltaSecretsPath]
      : ['StreamSecrets', adsServiceDefinition.StreamAggregatedResources, streamSecretsPath];
    this.server.addService({ [name]: { ...method, path } } as unknown as grpc.ServiceDefinition, {
      [name]: (stream: Stream) => {
        this.streams.add(stream);
        stream.on('data', (request: Request) => this.received(stream, request));
        stream.on('error', () => this.streams.delete(stream));
        stream.on('end', () => {
          this.streams.delete(stream);
          stream.end();
        });
      },
    });
  }

  private received(stream: Stream, request: Request): void {
    if (request.node) this.nodes.push(request.node);
    const names = this.delta ? request.resource_names_subscribe : request.resource_names;
    if (request.error_detail) this.nacks.push({ version: request.version_info, message: request.error_detail.message ?? '' });
    else if (request.response_nonce) this.acks.push(this.sentVersions.get(request.response_nonce) ?? '');
    else if (names?.length) this.subscribed.push(names);
    for (const w of this.waiters.splice(0)) w();
    if (!request.response_nonce && names?.length) this.send(stream);
  }

  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  }

  serve(version: string, secrets: JsonObject[]): void {
    this.current = { version, secrets };
    for (const stream of this.streams) this.send(stream);
  }

  private send(stream: Stream): void {
    if (!this.current) return;
    const { version, secrets } = this.current;
    const nonce = String(++this.nonce);
    this.sentVersions.set(nonce, version);
    stream.write(this.delta
      ? { system_version_info: version, type_url: TypeUrl.Secret, nonce, removed_resources: [], resources: secrets.map((s) => ({ name: s.name, version, resource: packAny(s) })) }
      : { version_info: version, type_url: TypeUrl.Secret, nonce, resources: secrets.map((s) => packAny(s)) });
  }

  async until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.server.forceShutdown();
  }
}

const secret = (name: string, pem: Pem): JsonObject => ({
  '@type': TypeUrl.Secret, name, tls_certificate: { certificate_chain: { inline_string: pem.cert }, private_key: { inline_string: pem.key } },
});

/** The SDS config Istio's generator writes for every secret. */
function istioSdsConfig(clusterName: string, delta: boolean, grpcService?: JsonObject): JsonObject {
  return {
    api_config_source: {
      api_type: delta ? 'DELTA_GRPC' : 'GRPC', transport_api_version: 'V3', set_node_on_first_message_only: true,
      grpc_services: [grpcService ?? { envoy_grpc: { cluster_name: clusterName } }],
    },
    resource_api_version: 'V3',
  };
}

function tlsListener(name: string, port: number, sdsConfig: JsonObject): JsonObject {
  const filters = [httpFilter(name, { route_config: routeConfig(name, [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'over sds-grpc' } } }]) })];
  const l = listener(name, port, filters) as { filter_chains: object[] };
  return {
    '@type': TypeUrl.Listener,
    ...l,
    filter_chains: [{
      ...l.filter_chains[0],
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': TypeUrl.DownstreamTlsContext,
          common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: sdsConfig }] },
        },
      },
    }],
  };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', () => resolve(true)).once('connect', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

let pki: TestPki;
let first: Pem;
let second: Pem;

beforeAll(async () => {
  pki = await createTestPki();
  first = await pki.issue('first', ['URI:spiffe://cluster.local/ns/default/sa/first']);
  second = await pki.issue('second', ['URI:spiffe://cluster.local/ns/default/sa/second']);
}, 30_000);

afterAll(async () => {
  await pki?.cleanup();
});

const transports = [
  { kind: 'a unix socket', concurrency: 2, delta: false },
  { kind: 'TCP loopback', concurrency: 1, delta: false },
  { kind: 'TCP loopback, delta', concurrency: 1, delta: true },
] as const;

describe.each(transports)('SDS from the sds-grpc cluster over $kind', ({ kind, concurrency, delta }) => {
  let folder: string;
  let sds: SecretServer;
  let cp: FakeControlPlane;
  let proxy: ProxyServer;
  let port: number;
  /** Where the secret server listens, to start another there. */
  let address: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'mizzen-sds-'));
    sds = new SecretServer(delta);
    let sdsCluster: JsonObject;
    if (kind === 'a unix socket') {
      const socket = join(folder, 'socket');
      address = `unix:${socket}`;
      await sds.listen(address);
      sdsCluster = {
        name: 'sds-grpc', type: 'STATIC', connect_timeout: '1s',
        load_assignment: { cluster_name: 'sds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: socket } } } }] }] },
      };
    } else {
      const sdsPort = await sds.listen('127.0.0.1:0');
      address = `127.0.0.1:${sdsPort}`;
      sdsCluster = staticCluster('sds-grpc', [{ port: sdsPort }]);
    }
    port = await freePort();
    cp = new FakeControlPlane();
    const adsPort = await cp.server.listen('127.0.0.1:0');
    cp.update(TypeUrl.Listener, 'l1', [tlsListener('tls', port, istioSdsConfig('sds-grpc', delta))]);
    const bootstrap = compileBootstrap({
      node: { id: 'sidecar~127.0.0.1~sds.default~default.svc.cluster.local', cluster: 'sds.default' },
      dynamic_resources: {
        ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
        lds_config: { ads: {} },
      },
      static_resources: { clusters: [staticCluster('xds-grpc', [{ port: adsPort }]), sdsCluster] },
    });
    proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency });
    await proxy.start();
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop(0);
    await cp?.server.close();
    sds?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('asks the secret server, not ADS, for the secret, with the node on the first request, and keeps the listener warming', async () => {
    await sds.until(() => sds.subscribed.some((names) => names.includes('default')));
    await cp.until(() => cp.acks.some((a) => a.typeUrl === TypeUrl.Listener && a.version === 'l1'));
    expect(sds.nodes[0]).toMatchObject({ id: 'sidecar~127.0.0.1~sds.default~default.svc.cluster.local' });
    expect(cp.subscribed.get(TypeUrl.Secret) ?? []).not.toContain('default');
    expect(await refused(port)).toBe(true);
    expect(proxy.state()).toBe('INITIALIZING');
  });

  it('binds and serves TLS once the secret arrives, and ACKs it', async () => {
    sds.serve('s1', [secret('default', first)]);
    await proxy.live;
    const result = await tlsGet(port, { ca: pki.ca.cert });
    expect(result).toMatchObject({ status: 200, body: 'over sds-grpc' });
    expect(result.serverSans).toContain('sa/first');
    await sds.until(() => sds.acks.includes('s1'));
  });

  it('rotates the certificate for new connections', async () => {
    sds.serve('s2', [secret('default', second)]);
    await sds.until(() => sds.acks.filter((v) => v === 's2').length >= concurrency);
    for (let i = 0; i < 4; i++) expect((await tlsGet(port, { ca: pki.ca.cert })).serverSans).toContain('sa/second');
  });

  it('NACKs a bad secret, naming the field, and keeps serving the last good one', async () => {
    sds.serve('s3', [{ '@type': TypeUrl.Secret, name: 'default', tls_certificate: { certificate_chain: { inline_string: second.cert } } }]);
    await sds.until(() => sds.nacks.length > 0);
    expect(sds.nacks[0]?.message).toContain('tls_certificate.private_key: required');
    // State of the world: a NACK carries the last version accepted.
    if (!delta) expect(sds.nacks[0]?.version).toBe('s2');
    expect((await tlsGet(port, { ca: pki.ca.cert })).serverSans).toContain('sa/second');
  });

  it('shows the secret in the config dump, key redacted', () => {
    const dump = configDump(proxy, false).configs as JsonObject[];
    const secrets = dump.find((c) => c['@type'] === TypeUrl.SecretsConfigDump) as { dynamic_active_secrets: JsonObject[] };
    expect(secrets.dynamic_active_secrets).toMatchObject([{ name: 'default', version_info: 's2', secret: { tls_certificate: { private_key: { inline_string: '[redacted]' } } } }]);
    expect(JSON.stringify(secrets)).not.toContain('PRIVATE KEY');
  });

  it('NACKs a listener whose SDS config uses google_grpc or names a cluster that is not static', async () => {
    cp.update(TypeUrl.Listener, 'l2', [tlsListener('tls', port, istioSdsConfig('x', delta, { google_grpc: { target_uri: '127.0.0.1:1', stat_prefix: 'sds' } }))]);
    await cp.until(() => cp.nacks.some((n) => n.typeUrl === TypeUrl.Listener));
    expect(cp.nacks.at(-1)?.error).toContain('sds_config.api_config_source.grpc_services[0].google_grpc: not supported');
    cp.update(TypeUrl.Listener, 'l3', [tlsListener('tls', port, istioSdsConfig('outbound|443||elsewhere', delta))]);
    await cp.until(() => cp.nacks.some((n) => n.typeUrl === TypeUrl.Listener && n.error.includes('outbound|443||elsewhere')));
    expect(cp.nacks.at(-1)?.error).toContain('grpc_services[0].envoy_grpc.cluster_name: no static cluster named "outbound|443||elsewhere"');
    expect((await tlsGet(port, { ca: pki.ca.cert })).serverSans).toContain('sa/second');
  });

  it('reconnects when the secret server restarts, asks again, and takes what the new one serves', async () => {
    sds.close();
    sds = new SecretServer(delta);
    sds.serve('s4', [secret('default', first)]);
    await sds.listen(address);
    await sds.until(() => sds.acks.filter((v) => v === 's4').length >= concurrency);
    expect(sds.subscribed.every((names) => names.includes('default'))).toBe(true);
    expect((await tlsGet(port, { ca: pki.ca.cert })).serverSans).toContain('sa/first');
  });
});

describe('an upstream cluster\'s mutual TLS with secrets from the sds-grpc cluster', () => {
  const BACKEND = 'spiffe://cluster.local/ns/default/sa/backend';
  let upstream: HttpsServer;
  let sds: SecretServer;
  let proxy: ProxyServer;
  let port: number;

  beforeAll(async () => {
    const backend = await pki.issue('backend', [`URI:${BACKEND}`]);
    upstream = createHttpsServer({ ...backend, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.end(`client=${(req.socket as TLSSocket).getPeerCertificate().subjectaltname}`);
    });
    const upstreamPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
    sds = new SecretServer(false);
    const sdsPort = await sds.listen('127.0.0.1:0');
    port = await freePort();
    const sdsConfig = istioSdsConfig('sds-grpc', false);
    const mtls = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: sdsConfig }],
          combined_validation_context: {
            default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: BACKEND } }] },
            validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: sdsConfig },
          },
        },
      },
    };
    const routes = [{ match: { prefix: '/' }, route: { cluster: 'outbound|443||backend.default.svc.cluster.local' } }];
    proxy = new ProxyServer(compileBootstrap({
      static_resources: {
        listeners: [listener('http', port, [httpFilter('http', { route_config: routeConfig('local', routes) })])],
        clusters: [
          staticCluster('outbound|443||backend.default.svc.cluster.local', [{ port: upstreamPort }], { transport_socket: mtls }),
          staticCluster('sds-grpc', [{ port: sdsPort }]),
        ],
      },
    }), { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
    await proxy.start();
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop(0);
    sds?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('asks for the certificate and the root CA on one stream, and presents the certificate once both arrive', async () => {
    await sds.until(() => sds.subscribed.some((names) => names.includes('default') && names.includes('ROOTCA')));
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(503);
    sds.serve('v1', [secret('default', first), { '@type': TypeUrl.Secret, name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: pki.ca.cert } } }]);
    await sds.until(() => sds.acks.includes('v1'));
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe('client=URI:spiffe://cluster.local/ns/default/sa/first');
  });
});
