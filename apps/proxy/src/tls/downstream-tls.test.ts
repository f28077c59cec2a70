import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, routeConfig, staticCluster } from '../../test/bootstrap-builder.ts';
import { createTestPki, type Pem, type TestPki } from '../../test/test-certificates.ts';
import { tlsGet } from '../../test/tls-client.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

const TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const SPIFFE = 'spiffe://cluster.local/ns/default/sa/client';

let pki: TestPki;
let server: Pem;
let client: Pem;
let stranger: Pem;
let wrongSan: Pem;
let proxy: ProxyServer;
let upstream: Server;
const ports = { inline: 0, files: 0, mutual: 0 };

const answer = (text: string) => [httpFilter(text, { route_config: routeConfig(text, [
  { match: { prefix: '/proto' }, route: { cluster: 'backend' } },
  { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: text } } },
]) })];
const tlsSocket = (context: object) => ({ name: 'envoy.transport_sockets.tls', typed_config: { '@type': TLS, ...context } });
const inline = (pem: Pem) => ({ certificate_chain: { inline_string: pem.cert }, private_key: { inline_string: pem.key } });

function tlsListener(name: string, port: number, context: object): object {
  const l = listener(name, port, answer(name)) as { filter_chains: object[] };
  return { ...l, filter_chains: [{ ...(l.filter_chains[0]), transport_socket: tlsSocket(context) }] };
}

beforeAll(async () => {
  pki = await createTestPki();
  server = await pki.issue('server', ['DNS:backend.default.svc.cluster.local', 'URI:spiffe://cluster.local/ns/default/sa/backend']);
  client = await pki.issue('client', [`URI:${SPIFFE}`]);
  wrongSan = await pki.issue('other', ['URI:spiffe://cluster.local/ns/other/sa/client']);
  stranger = await pki.selfSigned('stranger', [`URI:${SPIFFE}`]);
  const dir = tmpdir();
  const files = { cert: join(dir, `mizzen-tls-${process.pid}.pem`), key: join(dir, `mizzen-tls-${process.pid}.key`) };
  await writeFile(files.cert, server.cert);
  await writeFile(files.key, server.key);
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upstream = createServer((req, res) => res.end(`x-forwarded-proto=${String(req.headers['x-forwarded-proto'])}`));
  const upstreamPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
  const bootstrap = compileBootstrap({
    static_resources: {
      listeners: [
        tlsListener('inline', ports.inline, { common_tls_context: { tls_certificates: [inline(server)], alpn_protocols: ['h2', 'http/1.1'] } }),
        tlsListener('files', ports.files, {
          common_tls_context: { tls_certificates: [{ certificate_chain: { filename: files.cert }, private_key: { filename: files.key } }], tls_params: { tls_minimum_protocol_version: 'TLSv1_3' } },
        }),
        tlsListener('mutual', ports.mutual, {
          require_client_certificate: true,
          common_tls_context: {
            tls_certificates: [inline(server)],
            validation_context: {
              trusted_ca: { inline_string: pki.ca.cert },
              match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/ns/default/' } }],
            },
          },
        }),
      ],
      clusters: [staticCluster('backend', [{ port: upstreamPort }])],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  await proxy?.stop(0);
  upstream?.close();
  await pki?.cleanup();
});

const counter = (name: string) => proxy.stats.counter(name).value;

describe('downstream TLS (a filter chain transport_socket)', () => {
  it('terminates TLS with an inline certificate and negotiates ALPN', async () => {
    const result = await tlsGet(ports.inline, { ca: pki.ca.cert, alpn: ['http/1.1'] });
    expect(result).toMatchObject({ handshake: true, alpn: 'http/1.1', status: 200, body: 'inline' });
    expect(result.serverSans).toContain('URI:spiffe://cluster.local/ns/default/sa/backend');
    expect(counter(`listener.127.0.0.1_${ports.inline}.ssl.handshake`)).toBe(1);
  });

  it('tells the upstream the request came over TLS (x-forwarded-proto: https)', async () => {
    expect(await tlsGet(ports.inline, { ca: pki.ca.cert, path: '/proto' })).toMatchObject({ status: 200, body: 'x-forwarded-proto=https' });
  });

  it('reads certificates from files and honours the minimum TLS version', async () => {
    expect(await tlsGet(ports.files, { ca: pki.ca.cert })).toMatchObject({ status: 200, body: 'files' });
    const old = await import('node:tls').then((tls) => new Promise<string>((resolve) => {
      const s = tls.connect({ port: ports.files, host: '127.0.0.1', maxVersion: 'TLSv1.2', rejectUnauthorized: false }, () => resolve('connected'));
      s.on('error', (err) => resolve(err.message));
    }));
    expect(old).not.toBe('connected');
  });

  it('accepts a client whose certificate chains to the CA and carries a matching SAN', async () => {
    expect(await tlsGet(ports.mutual, { ca: pki.ca.cert, ...client })).toMatchObject({ status: 200, body: 'mutual' });
  });

  it('refuses clients without a certificate, with an untrusted one, or with the wrong SAN', async () => {
    const prefix = `listener.127.0.0.1_${ports.mutual}.ssl.`;
    const before = { noCert: counter(`${prefix}fail_verify_no_cert`), error: counter(`${prefix}fail_verify_error`), san: counter(`${prefix}fail_verify_san`) };
    expect((await tlsGet(ports.mutual, { ca: pki.ca.cert })).status).toBeUndefined();
    expect((await tlsGet(ports.mutual, { ca: pki.ca.cert, ...stranger })).status).toBeUndefined();
    expect((await tlsGet(ports.mutual, { ca: pki.ca.cert, ...wrongSan })).status).toBeUndefined();
    expect(counter(`${prefix}fail_verify_no_cert`)).toBe(before.noCert + 1);
    expect(counter(`${prefix}fail_verify_error`)).toBe(before.error + 1);
    expect(counter(`${prefix}fail_verify_san`)).toBe(before.san + 1);
  });
});

describe('downstream TLS config errors', () => {
  const bootstrapWith = (context: object, type = TLS) => ({
    static_resources: { listeners: [{ ...tlsListener('bad', 1, context), filter_chains: [{ filters: answer('bad'), transport_socket: { name: 'tls', typed_config: { '@type': type, ...context } } }] }] },
  });
  const start = async (raw: object) => new ProxyServer(compileBootstrap(raw), { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 }).start();

  it('names a missing certificate file', async () => {
    await expect(start(bootstrapWith({ common_tls_context: { tls_certificates: [{ certificate_chain: { filename: '/nonexistent.pem' }, private_key: { inline_string: 'x' } }] } })))
      .rejects.toThrow('static_resources.listeners[0].filter_chains[0].transport_socket.typed_config.common_tls_context.tls_certificates[0].certificate_chain.filename: cannot read "/nonexistent.pem"');
  });

  it('names a key that does not load', async () => {
    await expect(start(bootstrapWith({ common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: server.cert }, private_key: { inline_string: client.key } }] } })))
      .rejects.toThrow('transport_socket: cannot load the TLS material');
  });

  it('refuses a server context without a certificate, and client certificates without a CA', async () => {
    await expect(start(bootstrapWith({ common_tls_context: {} }))).rejects.toThrow('a server needs tls_certificates');
    await expect(start(bootstrapWith({ require_client_certificate: true, common_tls_context: { tls_certificates: [inline(server)] } })))
      .rejects.toThrow('require_client_certificate: needs a validation context');
  });

  it('refuses a transport socket it does not implement', async () => {
    await expect(start(bootstrapWith({ handshaker_service: 'x' }, 'type.googleapis.com/envoy.extensions.transport_sockets.alts.v3.Alts'))).rejects.toThrow('transport_socket.typed_config: unsupported transport socket');
  });
});
