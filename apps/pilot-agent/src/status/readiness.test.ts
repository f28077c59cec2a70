import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@mizzen/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { probeProxyReady } from './readiness.ts';
import { startStatusServer } from './status-server.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function fakeAdmin(status: number, body: string): Promise<number> {
  const server = createServer((req, res) => res.writeHead(req.url === '/ready' ? status : 404).end(body));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('probeProxyReady', () => {
  it('is ready when the admin /ready answers 200', async () => {
    expect(await probeProxyReady(await fakeAdmin(200, 'LIVE'))).toEqual({ ready: true, reason: 'ready' });
  });

  it('gives the admin answer as the reason otherwise', async () => {
    const port = await fakeAdmin(503, 'PRE_INITIALIZING\n');
    expect(await probeProxyReady(port)).toEqual({ ready: false, reason: `proxy admin 127.0.0.1:${port} /ready answered 503: PRE_INITIALIZING` });
  });

  it('says when the admin port does not answer', async () => {
    const port = await freePort();
    expect((await probeProxyReady(port)).reason).toBe(`proxy admin 127.0.0.1:${port} unreachable: ECONNREFUSED`);
  });

  it('gives up on an admin that never answers', async () => {
    const server = createServer(() => {});
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const readiness = await probeProxyReady((server.address() as AddressInfo).port, 50);
    expect(readiness.reason).toMatch(/no answer within 50 ms/);
    server.closeAllConnections();
  });
});

describe('status server', () => {
  it('answers /healthz/ready from the readiness check', async () => {
    let ready = false;
    const port = await freePort();
    servers.push(await startStatusServer(port, async () => ({ ready, reason: ready ? 'ready' : 'not yet' }), '127.0.0.1'));
    expect(await get(port, '/healthz/ready')).toEqual({ status: 503, body: 'not yet\n' });
    ready = true;
    expect(await get(port, '/healthz/ready')).toEqual({ status: 200, body: 'ready\n' });
    expect((await get(port, '/healthz/ready', 'POST')).status).toBe(405);
    expect((await get(port, '/other')).status).toBe(404);
  });

  it('answers 503 when the check itself fails', async () => {
    const port = await freePort();
    servers.push(await startStatusServer(port, () => Promise.reject(new Error('boom')), '127.0.0.1'));
    expect(await get(port, '/healthz/ready')).toEqual({ status: 503, body: 'readiness check failed: boom\n' });
  });

  it('fails to start, naming the reason, when the port is taken', async () => {
    const port = await freePort();
    servers.push(await startStatusServer(port, async () => ({ ready: true, reason: 'ready' }), '127.0.0.1'));
    await expect(startStatusServer(port, async () => ({ ready: true, reason: 'ready' }), '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
  });
});
