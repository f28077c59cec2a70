import { createServer as createPlainServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { createTestPki, type Pem, type TestPki } from '../../test/test-certificates.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const BACKEND = 'spiffe://cluster.local/ns/default/sa/backend';

let pki: TestPki;
let other: TestPki;
let upstream: Server;
let plain: ReturnType<typeof createPlainServer>;
let proxy: ProxyServer;
let port: number;
let serverCert: Pem;

function tlsCluster(name: string, upstreamPort: number, context: object): object {
  return staticCluster(name, [{ port: upstreamPort }], { transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UPSTREAM_TLS, ...context } } });
}

beforeAll(async () => {
  [pki, other] = [await createTestPki(), await createTestPki()];
  serverCert = await pki.issue('backend', [`URI:${BACKEND}`]);
  const client = await pki.issue('client', ['URI:spiffe://cluster.local/ns/default/sa/client']);
  // The upstream requires a client certificate from the mesh CA and says what it saw.
  upstream = createServer({ ...serverCert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['istio', 'http/1.1'] }, (req, res) => {
    const socket = req.socket as TLSSocket;
    res.end(`sni=${String(socket.servername)} alpn=${String(socket.alpnProtocol)} client=${socket.getPeerCertificate().subjectaltname}`);
  });
  const upstreamPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
  plain = createPlainServer((_req, res) => res.end('plain'));
  const plainPort = await new Promise<number>((resolve) => plain.listen(0, '127.0.0.1', () => resolve((plain.address() as { port: number }).port)));
  port = await freePort();
  const mutual = {
    sni: 'outbound_.443_._.backend.default.svc.cluster.local',
    common_tls_context: {
      alpn_protocols: ['istio'],
      tls_certificate_sds_secret_configs: [{ name: 'default' }],
      combined_validation_context: {
        default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: BACKEND } }] },
        validation_context_sds_secret_config: { name: 'ROOTCA' },
      },
    },
  };
  const inlineClient = { certificate_chain: { inline_string: client.cert }, private_key: { inline_string: client.key } };
  const routes = [
    { match: { prefix: '/mtls' }, route: { cluster: 'mtls' } },
    { match: { prefix: '/no-client-cert' }, route: { cluster: 'no-client-cert' } },
    { match: { prefix: '/wrong-san' }, route: { cluster: 'wrong-san' } },
    { match: { prefix: '/untrusted' }, route: { cluster: 'untrusted' } },
    { match: { prefix: '/auto' }, route: { cluster: 'auto' } },
  ];
  const bootstrap = compileBootstrap({
    static_resources: {
      secrets: [
        { name: 'default', tls_certificate: inlineClient },
        { name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: pki.ca.cert } } },
      ],
      listeners: [listener('http', port, [httpFilter('out', { route_config: routeConfig('out', routes) })])],
      clusters: [
        tlsCluster('mtls', upstreamPort, mutual),
        tlsCluster('no-client-cert', upstreamPort, { common_tls_context: { validation_context: { trusted_ca: { inline_string: pki.ca.cert } } } }),
        tlsCluster('wrong-san', upstreamPort, {
          common_tls_context: {
            tls_certificates: [inlineClient],
            validation_context: { trusted_ca: { inline_string: pki.ca.cert }, match_subject_alt_names: [{ suffix: '/sa/somebody-else' }] },
          },
        }),
        {
          // Istio's auto mTLS: endpoints labelled tlsMode istio get TLS, the others plain TCP.
          name: 'auto', type: 'STATIC', connect_timeout: '1s',
          load_assignment: { cluster_name: 'auto', endpoints: [{ lb_endpoints: [
            { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } } }, metadata: { filter_metadata: { 'envoy.transport_socket_match': { tlsMode: 'istio' } } } },
            { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: plainPort } } } },
          ] }] },
          transport_socket_matches: [
            { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UPSTREAM_TLS, ...mutual } } },
            { name: 'tlsMode-disabled', match: {}, transport_socket: { name: 'envoy.transport_sockets.raw_buffer', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' } } },
          ],
        },
        tlsCluster('untrusted', upstreamPort, { common_tls_context: { tls_certificates: [inlineClient], validation_context: { trusted_ca: { inline_string: other.ca.cert } } } }),
      ],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  await proxy?.stop(0);
  upstream?.close();
  plain?.close();
  await pki?.cleanup();
  await other?.cleanup();
});

async function get(path: string): Promise<{ status: number; body: string }> {
  const client = new RawHttpClient(port);
  await client.send(`GET ${path} HTTP/1.1\r\nHost: backend\r\n\r\n`);
  const [res] = await client.waitFor(1);
  client.close();
  return { status: res.status, body: res.body.toString() };
}

describe('upstream TLS (a cluster transport_socket)', () => {
  it('originates mutual TLS with SNI, ALPN and the SDS client certificate, checking the server SAN', async () => {
    const res = await get('/mtls');
    expect(res.status).toBe(200);
    expect(res.body).toBe('sni=outbound_.443_._.backend.default.svc.cluster.local alpn=istio client=URI:spiffe://cluster.local/ns/default/sa/client');
    expect(proxy.stats.counter('cluster.mtls.ssl.handshake').value).toBeGreaterThanOrEqual(1);
  });

  it('reuses the TLS connection for the next request', async () => {
    const before = proxy.stats.counter('cluster.mtls.upstream_cx_total').value;
    expect((await get('/mtls')).status).toBe(200);
    expect(proxy.stats.counter('cluster.mtls.upstream_cx_total').value).toBe(before);
  });

  it('fails the request when the upstream refuses a client without a certificate', async () => {
    expect((await get('/no-client-cert')).status).toBe(503);
  });

  it('refuses a server whose SAN does not match, or whose certificate is not from the trusted CA', async () => {
    expect((await get('/wrong-san')).status).toBe(503);
    expect(proxy.stats.counter('cluster.wrong-san.ssl.fail_verify_san').value).toBeGreaterThanOrEqual(1);
    expect((await get('/untrusted')).status).toBe(503);
    expect(proxy.stats.counter('cluster.untrusted.ssl.connection_error').value).toBeGreaterThanOrEqual(1);
  });

  it('picks TLS or plain TCP per endpoint from transport_socket_matches and endpoint metadata', async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await get('/auto');
      expect(res.status).toBe(200);
      bodies.add(res.body.startsWith('sni=') ? 'tls' : res.body);
    }
    expect([...bodies].sort()).toEqual(['plain', 'tls']);
  });

  it('rejects a cluster that checks SANs without a CA to verify against', () => {
    expect(() => compileBootstrap({
      static_resources: { clusters: [tlsCluster('x', 1, { common_tls_context: { validation_context: { match_subject_alt_names: [{ exact: 'a' }] } } })] },
    })).toThrow('Bootstrap.static_resources.clusters[0].transport_socket.typed_config.common_tls_context: checking the server\'s subject alt names needs a trusted_ca');
  });
});
