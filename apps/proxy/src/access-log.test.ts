import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_TYPE_URL, FILE_ACCESS_LOG_TYPE_URL, flushAccessLogs } from '@mizzen/filters';
import { freePort } from '@mizzen/testing';
import { address, HCM, listener, ROUTER, staticCluster, TCP_PROXY } from '../test/bootstrap-builder.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';

// Response flags set where a request fails, as the access log shows them.

const dir = mkdtempSync(join(tmpdir(), 'mizzen-access-log-'));
const httpLog = join(dir, 'http.log');
const tcpLog = join(dir, 'tcp.log');
let proxy: ProxyServer;
let httpPort: number;
let tcpPort: number;
const servers: { close(): void }[] = [];
const held: ServerResponse[] = [];
let onHeld: () => void = () => {};

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: httpPort, path, agent: false, headers: { 'user-agent': 'flags-test' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

/** The access log's entries for requests to `path` (each entry starts with the path). */
async function entries(file: string, prefix: string): Promise<string[]> {
  await flushAccessLogs();
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(prefix));
}

const fileLog = (path: string, format: string) => ({
  name: 'envoy.access_loggers.file',
  typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path, log_format: { text_format_source: { inline_string: format } } },
});

beforeAll(async () => {
  const holding = await listen(createServer((_req, res) => {
    held.push(res);
    onHeld();
  }));
  const ok = await listen(createServer((_req, res) => res.end('ok')));
  // Takes the request and hangs up without a word.
  const hangup = await new Promise<number>((resolve) => {
    const server = createTcpServer((s) => s.on('data', () => s.destroy()));
    servers.push(server);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  const refused = await freePort();
  httpPort = await freePort();
  tcpPort = await freePort();
  const fault = (spec: object) => ({ 'envoy.filters.http.fault': { '@type': FAULT_TYPE_URL, ...spec } });
  const routes = [
    { name: 'refused', match: { prefix: '/refused' }, route: { cluster: 'refused' } },
    { name: 'retried', match: { prefix: '/retried' }, route: { cluster: 'refused', retry_policy: { retry_on: 'connect-failure', num_retries: 1, retry_back_off: { base_interval: '0.001s' } } } },
    { name: 'pool', match: { prefix: '/pool' }, route: { cluster: 'pool' } },
    { name: 'abort', match: { prefix: '/abort' }, route: { cluster: 'ok' }, typed_per_filter_config: fault({ abort: { http_status: 418, percentage: { numerator: 100 } } }) },
    { name: 'delay', match: { prefix: '/delay' }, route: { cluster: 'ok' }, typed_per_filter_config: fault({ delay: { fixed_delay: '0.01s', percentage: { numerator: 100 } } }) },
    { name: 'empty', match: { prefix: '/empty' }, route: { cluster: 'empty' } },
    { name: 'slow', match: { prefix: '/slow' }, route: { cluster: 'pool', timeout: '0.05s' } },
    { name: 'hangup', match: { prefix: '/hangup' }, route: { cluster: 'hangup' } },
    { name: 'ok', match: { prefix: '/ok' }, route: { cluster: 'ok' } },
  ];
  const hcm = {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM,
      stat_prefix: 'flags',
      route_config: { name: 'local', virtual_hosts: [{ name: 'vh', domains: ['*'], routes }] },
      http_filters: [
        { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT_TYPE_URL } },
        { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
      ],
      access_log: [fileLog(httpLog, '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %ROUTE_NAME% %UPSTREAM_CLUSTER% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %RESPONSE_CODE_DETAILS% %BYTES_SENT%\n')],
    },
  };
  const tcp = {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: { '@type': TCP_PROXY, stat_prefix: 'tcp', cluster: 'refused', access_log: [fileLog(tcpLog, 'tcp %RESPONSE_FLAGS% %UPSTREAM_CLUSTER% %BYTES_RECEIVED%\n')] },
  };
  const bootstrap = compileBootstrap({
    admin: { address: address(0) },
    static_resources: {
      listeners: [listener('http', httpPort, [hcm]), listener('tcp', tcpPort, [tcp])],
      clusters: [
        staticCluster('ok', [{ port: ok }]),
        staticCluster('refused', [{ port: refused }]),
        staticCluster('empty', []),
        staticCluster('hangup', [{ port: hangup }]),
        staticCluster('pool', [{ port: holding }], { circuit_breakers: { thresholds: [{ max_connections: 1, max_pending_requests: 0 }] } }),
      ],
    },
  });
  proxy = new ProxyServer(bootstrap, { log: new ConsoleLogger('off'), drainTimeMs: 100, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  for (const res of held.splice(0)) res.end();
  await proxy.stop(0);
  for (const s of servers) s.close();
});

describe('response flags in the access log', () => {
  it('logs a plain request with no flag', async () => {
    expect((await get('/ok')).status).toBe(200);
    expect(await entries(httpLog, '/ok ')).toEqual(['/ok 200 - ok ok "-" via_upstream 2']);
  });

  it('NR for no route', async () => {
    expect((await get('/nowhere')).status).toBe(404);
    expect(await entries(httpLog, '/nowhere ')).toEqual(['/nowhere 404 NR - - "-" route_not_found 0']);
  });

  it('UF for a refused connection, with the failure reason; URX when the retry was spent too', async () => {
    expect((await get('/refused')).status).toBe(503);
    const [entry] = await entries(httpLog, '/refused ');
    expect(entry).toMatch(/^\/refused 503 UF refused refused "connection failure.*ECONNREFUSED.*" upstream_reset_before_response_started\{connection_failure\} \d+$/);
    expect((await get('/retried')).status).toBe(503);
    expect((await entries(httpLog, '/retried '))[0]).toMatch(/^\/retried 503 UF,URX retried refused/);
  });

  it('UH when the cluster has no host', async () => {
    expect((await get('/empty')).status).toBe(503);
    expect((await entries(httpLog, '/empty '))[0]).toMatch(/^\/empty 503 UH empty empty "-" no_healthy_upstream/);
  });

  it('UO when a circuit breaker refuses the request', async () => {
    const first = get('/pool/1');
    await new Promise<void>((resolve) => (onHeld = resolve));
    expect((await get('/pool/2')).status).toBe(503);
    held.shift()?.end('done');
    expect((await first).status).toBe(200);
    expect(await entries(httpLog, '/pool/')).toEqual([
      expect.stringMatching(/^\/pool\/2 503 UO pool pool "-" upstream_reset_before_response_started\{overflow\}/),
      '/pool/1 200 - pool pool "-" via_upstream 4',
    ]);
  });

  it('FI for an injected abort and DI for an injected delay', async () => {
    expect((await get('/abort')).status).toBe(418);
    expect((await get('/delay')).status).toBe(200);
    expect(await entries(httpLog, '/abort ')).toEqual(['/abort 418 FI abort - "-" fault_filter_abort 18']);
    expect(await entries(httpLog, '/delay ')).toEqual(['/delay 200 DI delay ok "-" via_upstream 2']);
  });

  it('UT when the route timeout passes, UC when the upstream hangs up before answering', async () => {
    expect((await get('/slow')).status).toBe(504);
    held.shift()?.end();
    expect((await entries(httpLog, '/slow '))[0]).toMatch(/^\/slow 504 UT slow pool "-" upstream_response_timeout/);
    expect((await get('/hangup')).status).toBe(503);
    expect((await entries(httpLog, '/hangup '))[0]).toMatch(/^\/hangup 503 UC hangup hangup "-" upstream_reset_before_response_started\{connection_termination\}/);
  });

  it('DC when the client goes away before the response', async () => {
    const socket = connect(httpPort, '127.0.0.1');
    socket.write('GET /pool/gone HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise<void>((resolve) => (onHeld = resolve));
    socket.destroy();
    while ((await entries(httpLog, '/pool/gone')).length === 0) await new Promise((resolve) => setImmediate(resolve));
    held.shift()?.end();
    expect((await entries(httpLog, '/pool/gone'))[0]).toMatch(/^\/pool\/gone 0 DC pool pool/);
  });

  it('DPE for a request the codec refuses, logged though no stream began', async () => {
    const socket = connect(httpPort, '127.0.0.1');
    socket.write('GET /bad HTTP/1.1\r\nhost: x\r\ncontent-length: x\r\n\r\n');
    await new Promise((resolve) => socket.on('close', resolve).resume());
    expect(await entries(httpLog, '- 400')).toEqual(['- 400 DPE - - "-" codec_error 0']);
  });

  it('logs tcp_proxy connections, UF when the upstream refuses', async () => {
    const socket = connect(tcpPort, '127.0.0.1');
    await new Promise((resolve) => socket.on('close', resolve).on('error', () => {}));
    while ((await entries(tcpLog, 'tcp')).length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(await entries(tcpLog, 'tcp')).toEqual(['tcp UF refused 0']);
  });
});
