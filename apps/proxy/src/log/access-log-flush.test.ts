import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FILE_ACCESS_LOG_TYPE_URL } from '@mizzen/filters';
import { freePort } from '@mizzen/testing';
import { address, HCM, listener, ROUTER, staticCluster } from '../../test/bootstrap-builder.ts';

// Access log entries are buffered for a tick and written asynchronously; a proxy that stops
// (SIGTERM, /quitquitquit) writes every entry, its workers' too, before the process exits.

const main = fileURLToPath(new URL('../main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mizzen-log-flush-'));
const held: ServerResponse[] = [];
const heldArrived: (() => void)[] = [];
let upstream: Server;
let upstreamPort: number;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url?.startsWith('/held')) {
      held.push(res);
      for (const resolve of heldArrived.splice(0)) resolve();
      return;
    }
    res.end('ok');
  });
  upstreamPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as { port: number }).port)));
});

afterAll(() => {
  for (const res of held) res.destroy();
  upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject).end();
  });
}

/** Starts the proxy process on a bootstrap with a file access log; resolves once it serves. */
async function startProxy(name: string, concurrency: number): Promise<{ port: number; adminPort: number; log: string; exited: Promise<number | null>; kill: (signal: NodeJS.Signals) => void }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const log = join(dir, `${name}.log`);
  const accessLog = {
    name: 'envoy.access_loggers.file',
    typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path: log, log_format: { text_format_source: { inline_string: '%REQ(:PATH)% %RESPONSE_CODE%\n' } } },
  };
  const bootstrap = {
    admin: { address: address(adminPort) },
    static_resources: {
      listeners: [listener('in', port, [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': HCM, stat_prefix: 'in', access_log: [accessLog], http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
          route_config: { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] }] },
        },
      }])],
      clusters: [staticCluster('up', [{ port: upstreamPort }])],
    },
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(bootstrap));
  const child = spawn(process.execPath, [main, '-c', file, '--concurrency', String(concurrency), '--drain-time-s', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('started with')) resolve();
    });
    void exited.then(() => reject(new Error(`the proxy exited: ${stderr}`)));
  });
  return { port, adminPort, log, exited, kill: (signal) => child.kill(signal) };
}

/** Requests that complete, then `holding` that the upstream holds until the proxy closes them. */
async function traffic(port: number, count: number, holding: number): Promise<void> {
  const statuses = await Promise.all(Array.from({ length: count }, (_, i) => get(port, `/done-${i}`)));
  expect(statuses.every((s) => s === 200)).toBe(true);
  const arrived = held.length + holding;
  for (let i = 0; i < holding; i++) get(port, `/held-${i}`).catch(() => {});
  while (held.length < arrived) await new Promise<void>((resolve) => heldArrived.push(resolve));
}

function loggedPaths(log: string): string[] {
  return readFileSync(log, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split(' ')[0]).sort();
}

const expected = (count: number, holding: number): string[] =>
  [...Array.from({ length: count }, (_, i) => `/done-${i}`), ...Array.from({ length: holding }, (_, i) => `/held-${i}`)].sort();

describe.concurrent('access log entries on exit', { timeout: 60_000 }, () => {
  it('are all written before the process exits on SIGTERM, the one cut short included', async () => {
    const proxy = await startProxy('sigterm', 1);
    await traffic(proxy.port, 20, 4);
    proxy.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
    expect(loggedPaths(proxy.log)).toEqual(expected(20, 4));
  });

  it('are all written, every thread\'s, before the process exits on /quitquitquit with --concurrency 2', async () => {
    const proxy = await startProxy('quit', 2);
    await traffic(proxy.port, 40, 8);
    const quit = await fetch(`http://127.0.0.1:${proxy.adminPort}/quitquitquit`, { method: 'POST' });
    expect(quit.status).toBe(200);
    expect(await proxy.exited).toBe(0);
    expect(loggedPaths(proxy.log)).toEqual(expected(40, 8));
  });
});
