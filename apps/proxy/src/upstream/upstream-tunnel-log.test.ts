import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FILE_ACCESS_LOG_TYPE_URL, flushAccessLogs } from '@mizzen/filters';
import { freePort } from '@mizzen/testing';
import { HCM, listener, ROUTER, staticCluster } from '../../test/bootstrap-builder.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'mizzen-tunnel-log-'));
const logFile = join(dir, 'access.log');
let upstream: Server;
let proxy: ProxyServer;
let port: number;

beforeAll(async () => {
  // Accepts the upgrade, then answers each piece of data with a longer one.
  upstream = createServer((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(`reply to ${d.toString()}`));
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  port = await freePort();
  const hcm = {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM,
      stat_prefix: 'ws',
      upgrade_configs: [{ upgrade_type: 'websocket' }],
      route_config: { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'ws' } }] }] },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
      access_log: [{
        name: 'envoy.access_loggers.file',
        typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path: logFile, log_format: { text_format_source: { inline_string: '%REQ(:PATH)% %RESPONSE_CODE% %BYTES_RECEIVED% %BYTES_SENT% %UPSTREAM_CLUSTER%\n' } } },
      }],
    },
  };
  proxy = new ProxyServer(compileBootstrap({
    static_resources: { listeners: [listener('http', port, [hcm])], clusters: [staticCluster('ws', [{ port: (upstream.address() as AddressInfo).port }])] },
  }), { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

it('logs a WebSocket tunnel when it closes, with the bytes of both ways', async () => {
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  const waitFor = (text: string) => new Promise<void>((resolve) => {
    const check = () => {
      if (!received.includes(text)) return;
      socket.off('data', check);
      resolve();
    };
    socket.on('data', check);
    check();
  });
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.write('GET /chat HTTP/1.1\r\nHost: chat\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  await waitFor('\r\n\r\n');
  socket.write('hello');
  await waitFor('reply to hello');
  socket.write('bye!');
  await waitFor('reply to bye!');
  const closed = once(socket, 'close');
  socket.end();
  await closed;
  // The line is written when the proxy sees the tunnel close; wait for it rather than for time.
  let lines: string[] = [];
  while (lines.length === 0) {
    await flushAccessLogs();
    lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('/chat'));
    if (lines.length === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  // 9 bytes up ("hello", "bye!"), 27 down ("reply to hello", "reply to bye!").
  expect(lines).toEqual(['/chat 101 9 27 ws']);
});
