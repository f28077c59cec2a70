import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, routeConfig, staticCluster, tcpFilter } from '../../test/bootstrap-builder.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { createTestPki, type Pem, type TestPki } from '../../test/test-certificates.ts';
import { tlsGet } from '../../test/tls-client.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } };
const HTTP_INSPECTOR = { name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } };
const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

let pki: TestPki;
let echo: Server;
let proxy: ProxyServer;
const ports = { sniffing: 0, strict: 0, lenient: 0, disabled: 0, elsewhere: 0, secure: 0 };

// Off on `port`, through each kind of rule: or(port range, and(not(any), any)).
const onPort = (port: number) => ({
  or_match: { rules: [{ destination_port_range: { start: port, end: port + 1 } }, { and_match: { rules: [{ not_match: { any_match: true } }, { any_match: true }] } }] },
});
const answer = (text: string) => [httpFilter(text, { route_config: routeConfig(text, [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: text } } }]) })];
const tlsChain = (text: string, pem: Pem, match: object) => ({
  filter_chain_match: match,
  filters: answer(text),
  transport_socket: {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': DOWNSTREAM_TLS, common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: pem.cert }, private_key: { inline_string: pem.key } }], alpn_protocols: ['h2', 'http/1.1'] } },
  },
});

beforeAll(async () => {
  pki = await createTestPki();
  const [a, wild, fallback] = [await pki.issue('a', ['DNS:a.example']), await pki.issue('wild', ['DNS:*.wild.example']), await pki.issue('fallback', ['DNS:fallback'])];
  echo = createServer((s) => s.pipe(s));
  const echoPort = await new Promise<number>((resolve) => echo.listen(0, '127.0.0.1', () => resolve((echo.address() as { port: number }).port)));
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  const sniffing = {
    ...listener('sniffing', ports.sniffing, []),
    listener_filters: [TLS_INSPECTOR, HTTP_INSPECTOR],
    filter_chains: [
      tlsChain('a', a, { server_names: ['a.example'], transport_protocol: 'tls' }),
      tlsChain('wild', wild, { server_names: ['*.wild.example'], transport_protocol: 'tls' }),
      tlsChain('tls-default', fallback, { transport_protocol: 'tls' }),
      { filter_chain_match: { application_protocols: ['http/1.1', 'http/1.0'] }, filters: answer('http1') },
    ],
    default_filter_chain: { filters: [tcpFilter('echo', 'echo')] },
  };
  // One route configuration behind a TLS chain and a plain one, requiring TLS (as Istio writes
  // it for a Gateway server with httpsRedirect).
  const secureRoutes = { ...routeConfig('secure', [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'secure' } } }]) };
  (secureRoutes.virtual_hosts as Record<string, unknown>[])[0].require_tls = 'ALL';
  const secureFilters = [httpFilter('secure', { route_config: secureRoutes })];
  const secure = {
    ...listener('secure', ports.secure, []),
    listener_filters: [TLS_INSPECTOR],
    filter_chains: [{ ...tlsChain('unused', fallback, { transport_protocol: 'tls' }), filters: secureFilters }, { filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: secureFilters }],
  };
  const slow = (name: string, port: number, extra: object) => ({
    ...listener(name, port, [tcpFilter(name, 'echo')]), listener_filters: [HTTP_INSPECTOR], listener_filters_timeout: '0.2s', ...extra,
  });
  const bootstrap = compileBootstrap({
    static_resources: {
      listeners: [
        sniffing, slow('strict', ports.strict, {}), slow('lenient', ports.lenient, { continue_on_listener_filters_timeout: true }),
        // As Istio writes it: the inspector is off on the listener's own port (a range of one).
        slow('disabled', ports.disabled, { listener_filters: [{ ...HTTP_INSPECTOR, filter_disabled: onPort(ports.disabled) }] }),
        secure,
        slow('elsewhere', ports.elsewhere, { listener_filters: [{ ...HTTP_INSPECTOR, filter_disabled: onPort(ports.disabled) }] }),
      ],
      clusters: [staticCluster('echo', [{ port: echoPort }])],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
}, 30_000);

afterAll(async () => {
  await proxy?.stop(0);
  echo?.close();
  await pki?.cleanup();
});

/** Writes `data` (if any) and collects what comes back until the proxy closes or `until` is seen. */
function exchange(port: number, data: string | undefined, until?: string): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (until && received.includes(until)) {
        socket.destroy();
        resolve({ received, closed: false });
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ received, closed: true }));
    if (data !== undefined) socket.write(data);
  });
}

describe('listener filters and filter chain match', () => {
  it('chooses a TLS chain by the SNI the TLS inspector read, exact before wildcard before none', async () => {
    const ca = pki.ca.cert;
    expect(await tlsGet(ports.sniffing, { ca, servername: 'a.example' })).toMatchObject({ status: 200, body: 'a', serverSans: 'DNS:a.example' });
    expect(await tlsGet(ports.sniffing, { ca, servername: 'x.wild.example' })).toMatchObject({ status: 200, body: 'wild' });
    expect(await tlsGet(ports.sniffing, { ca, servername: 'nobody.example', alpn: ['http/1.1'] })).toMatchObject({ status: 200, body: 'tls-default', alpn: 'http/1.1' });
    expect(proxy.stats.counter('tls_inspector.sni_found').value).toBeGreaterThanOrEqual(3);
  });

  it('sends cleartext HTTP/1.1 to the chain for http/1.1 found by the HTTP inspector', async () => {
    const client = new RawHttpClient(ports.sniffing);
    await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.body.toString()).toBe('http1');
    expect(proxy.stats.counter('http_inspector.http11_found').value).toBe(1);
  });

  it('sends anything else to the default chain, with the peeked bytes intact', async () => {
    const payload = '\x00\x01binary protocol';
    expect((await exchange(ports.sniffing, payload, payload)).received).toBe(payload);
    expect(proxy.stats.counter('http_inspector.http_not_found').value).toBe(1);
    expect(proxy.stats.counter('tls_inspector.tls_not_found').value).toBeGreaterThanOrEqual(2);
  });

  it('closes a connection that says nothing within listener_filters_timeout', async () => {
    expect(await exchange(ports.strict, undefined)).toEqual({ received: '', closed: true });
    expect(proxy.stats.counter(`listener.127.0.0.1_${ports.strict}.downstream_pre_cx_timeout`).value).toBe(1);
  });

  it('goes on to the filter chain after the timeout with continue_on_listener_filters_timeout', async () => {
    const socket = connect(ports.lenient, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write('late bytes');
    const echoed = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.destroy();
    expect(echoed).toBe('late bytes');
  });

  it('skips a listener filter whose filter_disabled matches the destination port', async () => {
    const inspected = () => ['http11_found', 'http10_found', 'http2_found', 'http_not_found'].reduce((n, c) => n + proxy.stats.counter(`http_inspector.${c}`).value, 0);
    const before = inspected();
    expect((await exchange(ports.disabled, 'GET / HTTP/1.1\r\n\r\n', '\r\n\r\n')).received).toBe('GET / HTTP/1.1\r\n\r\n');
    expect(inspected()).toBe(before);
    // Another port: the filter runs, and a silent client meets its timeout.
    expect(await exchange(ports.elsewhere, undefined)).toEqual({ received: '', closed: true });
    expect(proxy.stats.counter(`listener.127.0.0.1_${ports.elsewhere}.downstream_pre_cx_timeout`).value).toBe(1);
  });

  it('redirects plain-text requests to https under require_tls, and serves them over TLS', async () => {
    const client = new RawHttpClient(ports.secure);
    await client.send('GET /page?q=1 HTTP/1.1\r\nHost: shop.example\r\n\r\n');
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(301);
    expect(res.headers).toContain('https://shop.example/page?q=1');
    expect(await tlsGet(ports.secure, { ca: pki.ca.cert, servername: 'fallback' })).toMatchObject({ status: 200, body: 'secure' });
  });
});
