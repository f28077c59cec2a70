import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { freePort } from '@mizzen/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAppProbers, runAppProbe } from './app-probers.ts';

const servers: Array<{ close: (cb: () => void) => void }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function app(): Promise<number> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/health' && req.headers['x-probe'] === 'yes') res.writeHead(200).end('ok');
    else if (req.url === '/moved') res.writeHead(302, { location: '/health' }).end();
    else res.writeHead(503).end('not yet');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('app probers', () => {
  it('reads Istio’s ISTIO_KUBE_APP_PROBERS', () => {
    const probers = parseAppProbers({
      '/app-health/reviews/readyz': { httpGet: { path: '/health', port: 9080, scheme: 'HTTP', httpHeaders: [{ name: 'x-probe', value: 'yes' }] }, timeoutSeconds: 2 },
      '/app-health/reviews/livez': { tcpSocket: { port: '9080' } },
    });
    expect(probers.get('/app-health/reviews/readyz')).toEqual({ kind: 'http', host: '127.0.0.1', port: 9080, path: '/health', scheme: 'HTTP', headers: { 'x-probe': 'yes' }, timeoutMs: 2000 });
    expect(probers.get('/app-health/reviews/livez')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9080, timeoutMs: 1000 });
  });

  it.each([
    [[1], /ISTIO_KUBE_APP_PROBERS: must be a JSON object/],
    [{ '/healthz': { tcpSocket: { port: 1 } } }, /ISTIO_KUBE_APP_PROBERS\["\/healthz"\]: a probe path is/],
    [{ '/app-health/a/readyz': { httpGet: { port: 'http' } } }, /\["\/app-health\/a\/readyz"\].httpGet.port: "http" is not a port number/],
    [{ '/app-health/a/livez': { exec: { command: ['true'] } } }, /\["\/app-health\/a\/livez"\]: needs httpGet, tcpSocket or grpc/],
    [{ '/app-health/a/livez': { tcpSocket: { port: 1 }, timeoutSeconds: 0 } }, /timeoutSeconds: must be a positive number/],
  ])('names what is wrong: %j', (value, message) => {
    expect(() => parseAppProbers(value)).toThrow(message);
  });

  it('runs HTTP probes against the app: success is 200, the app’s failure is passed on', async () => {
    const port = await app();
    const probe = { kind: 'http' as const, host: '127.0.0.1', port, scheme: 'HTTP' as const, headers: { 'x-probe': 'yes' }, timeoutMs: 1000 };
    expect(await runAppProbe({ ...probe, path: '/health' })).toEqual({ status: 200, body: `http://127.0.0.1:${port}/health answered 200\n` });
    expect((await runAppProbe({ ...probe, path: '/moved' })).status).toBe(200);
    expect(await runAppProbe({ ...probe, path: '/other' })).toEqual({ status: 503, body: `http://127.0.0.1:${port}/other answered 503\n` });
    const closed = await freePort();
    expect(await runAppProbe({ ...probe, port: closed, path: '/health' })).toEqual({ status: 500, body: `http://127.0.0.1:${closed}/health failed: ECONNREFUSED\n` });
  });

  it('runs gRPC health probes', async () => {
    const server = new grpc.Server();
    const statuses: Record<string, number> = { '': 1, 'reviews.v1': 2 };
    server.register('/grpc.health.v1.Health/Check', (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      // HealthCheckRequest: field 1 (tag 0x0a), a length-prefixed string, or nothing at all.
      const service = call.request.length > 0 ? protobuf.Reader.create(call.request.subarray(1)).string() : '';
      const status = statuses[service];
      if (status === undefined) return callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${service}` });
      callback(null, Buffer.from(protobuf.Writer.create().uint32(8).int32(status).finish()));
    }, (b: Buffer) => b, (b: Buffer) => b, 'unary');
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    servers.push({ close: (cb) => server.tryShutdown(() => cb()) });
    const probers = parseAppProbers({
      '/app-health/a/livez': { grpc: { port } },
      '/app-health/a/readyz': { grpc: { port, service: 'reviews.v1' } },
      '/app-health/a/startupz': { grpc: { port, service: 'nope' } },
    });
    expect(await runAppProbe(probers.get('/app-health/a/livez')!)).toEqual({ status: 200, body: `grpc 127.0.0.1:${port} is SERVING\n` });
    expect(await runAppProbe(probers.get('/app-health/a/readyz')!)).toEqual({ status: 500, body: `grpc 127.0.0.1:${port} service reviews.v1 is NOT_SERVING\n` });
    expect(await runAppProbe(probers.get('/app-health/a/startupz')!)).toEqual({ status: 500, body: `grpc 127.0.0.1:${port} service nope failed: NOT_FOUND: unknown service nope\n` });
  });

  it('runs TCP probes', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    expect((await runAppProbe({ kind: 'tcp', host: '127.0.0.1', port, timeoutMs: 1000 })).status).toBe(200);
    const closed = await freePort();
    expect(await runAppProbe({ kind: 'tcp', host: '127.0.0.1', port: closed, timeoutMs: 1000 })).toEqual({ status: 500, body: `tcp 127.0.0.1:${closed} failed: ECONNREFUSED\n` });
  });
});
