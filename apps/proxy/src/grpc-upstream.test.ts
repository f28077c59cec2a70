import { connect } from 'node:net';
import { Client, credentials, Metadata, Server, ServerCredentials, status, type ServiceError, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, staticCluster } from '../test/bootstrap-builder.ts';
import { compileBootstrap } from './bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from './log/logger.ts';
import { ProxyServer } from './proxy-server.ts';

const HTTP_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

// A unary method with raw bytes as messages: no .proto needed for an echo.
const identity = (b: Buffer): Buffer => b;
const ECHO = {
  Echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};

let server: Server;
let proxy: ProxyServer;
let port: number;
let calls = 0;
let failuresLeft = 0;
let failWith: status = status.UNAVAILABLE;

beforeAll(async () => {
  server = new Server();
  server.addService(ECHO, {
    Echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      calls++;
      if (failuresLeft > 0) {
        failuresLeft--;
        callback({ code: failWith, details: 'try again' } as ServiceError);
        return;
      }
      callback(null, Buffer.concat([Buffer.from('echo:'), call.request]));
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  port = await freePort();
  const routes = { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [
    { match: { prefix: '/', headers: [{ name: 'x-retry', present_match: true }] }, route: { cluster: 'grpc', retry_policy: { retry_on: 'unavailable,resource-exhausted', num_retries: 2, retry_back_off: { base_interval: '0.001s' } } } },
    { match: { prefix: '/', headers: [{ name: 'x-follow', present_match: true }] }, route: { cluster: 'follow' } },
    { match: { prefix: '/' }, route: { cluster: 'grpc' } },
  ] }] };
  proxy = new ProxyServer(compileBootstrap({
    static_resources: {
      listeners: [listener('http', port, [httpFilter('in', { route_config: routes })])],
      clusters: [
        staticCluster('grpc', [{ port: grpcPort }], {
          typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_OPTIONS, explicit_http_config: { http2_protocol_options: {} } } },
        }),
        // As Istio builds inbound clusters of sniffed ports: the client's protocol, h2 here.
        staticCluster('follow', [{ port: grpcPort }], {
          typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': HTTP_OPTIONS, use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
          } },
        }),
      ],
    },
  }), { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  client?.close();
  await proxy.stop(0);
  server.forceShutdown();
});

let client: Client | undefined;

/** A unary call from a @grpc/grpc-js client, over HTTP/2 to the proxy. */
function grpcCall(message: string, headers: Record<string, string> = {}): Promise<{ error: ServiceError | null; reply: string | undefined }> {
  client ??= new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  return new Promise((resolve) => {
    (client as Client).makeUnaryRequest('/test.Echo/Echo', identity, identity, Buffer.from(message), metadata, (error, reply) => {
      resolve({ error, reply: reply?.toString() });
    });
  });
}

/** A length-prefixed gRPC message. */
function frame(message: string): Buffer {
  const body = Buffer.from(message);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

interface GrpcOverHttp1 {
  head: string;
  body: Buffer;
  trailers: string;
}

/** A gRPC call from an HTTP/1.1 client: the response comes chunked, its trailers in the last chunk. */
async function call(message: string, extra = ''): Promise<GrpcOverHttp1> {
  const payload = frame(message);
  const socket = connect({ port, host: '127.0.0.1' });
  socket.write(`POST /test.Echo/Echo HTTP/1.1\r\nHost: echo.local\r\ncontent-type: application/grpc\r\nte: trailers\r\n${extra}content-length: ${payload.length}\r\n\r\n`);
  socket.write(payload);
  let raw = Buffer.alloc(0);
  for await (const chunk of socket) {
    raw = Buffer.concat([raw, chunk as Buffer]);
    const text = raw.toString('latin1');
    const headEnd = text.indexOf('\r\n\r\n');
    if (headEnd === -1) continue;
    const head = text.slice(0, headEnd);
    const length = /content-length: (\d+)/i.exec(head);
    if (length && raw.length >= headEnd + 4 + Number(length[1])) {
      socket.destroy();
      return { head, body: raw.subarray(headEnd + 4), trailers: '' };
    }
    const last = text.indexOf('\r\n0\r\n', headEnd);
    if (!length && last !== -1 && text.endsWith('\r\n\r\n') && text.length > last + 5) {
      socket.destroy();
      // Chunks: size line, data, CRLF; the body is the data alone.
      const chunks: Buffer[] = [];
      let at = headEnd + 4;
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        const size = parseInt(text.slice(at, lineEnd), 16);
        if (size === 0) break;
        chunks.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      return { head, body: Buffer.concat(chunks), trailers: text.slice(last + 5) };
    }
  }
  throw new Error(`connection closed: ${raw.toString('latin1')}`);
}

describe('gRPC to a @grpc/grpc-js upstream', () => {
  it('carries a unary call and its grpc-status trailers to an HTTP/1.1 client', async () => {
    const res = await call('hi');
    expect(res.head).toMatch(/^HTTP\/1\.1 200/);
    expect(res.head).toMatch(/content-type: application\/grpc/i);
    expect(res.body.subarray(5).toString()).toBe('echo:hi');
    expect(res.trailers).toMatch(/grpc-status: 0\r\n/);
  });

  it('passes a trailers-only error on as headers', async () => {
    failuresLeft = 1;
    failWith = status.NOT_FOUND;
    const res = await call('missing');
    expect(res.head).toMatch(/^HTTP\/1\.1 200/);
    expect(res.head).toMatch(/grpc-status: 5\r\n/);
    expect(res.head).toMatch(/grpc-message: try%20again/);
    expect(res.body.length).toBe(0);
  });

  it('retries the gRPC statuses retry_on names, read from a trailers-only response', async () => {
    calls = 0;
    failuresLeft = 2;
    failWith = status.UNAVAILABLE;
    const res = await call('again', 'x-retry: 1\r\n');
    expect(calls).toBe(3);
    expect(res.body.subarray(5).toString()).toBe('echo:again');
    expect(res.trailers).toMatch(/grpc-status: 0/);
    calls = 0;
    failuresLeft = 1;
    failWith = status.INTERNAL;
    const internal = await call('not covered', 'x-retry: 1\r\n');
    expect(calls).toBe(1);
    expect(internal.head).toMatch(/grpc-status: 13/);
  });
});

describe('gRPC from a @grpc/grpc-js client through the proxy', () => {
  it('carries a unary call over HTTP/2 both ways', async () => {
    failuresLeft = 0;
    expect(await grpcCall('over h2')).toEqual({ error: null, reply: 'echo:over h2' });
  });

  it('passes the upstream status and message on', async () => {
    failuresLeft = 1;
    failWith = status.NOT_FOUND;
    const { error } = await grpcCall('missing');
    expect(error?.code).toBe(status.NOT_FOUND);
    expect(error?.details).toBe('try again');
  });

  it('retries unavailable, and follows the client protocol with use_downstream_protocol_config', async () => {
    calls = 0;
    failuresLeft = 1;
    failWith = status.UNAVAILABLE;
    expect(await grpcCall('retried', { 'x-retry': '1' })).toEqual({ error: null, reply: 'echo:retried' });
    expect(calls).toBe(2);
    expect(await grpcCall('followed', { 'x-follow': '1' })).toEqual({ error: null, reply: 'echo:followed' });
    expect(proxy.stats.counter('cluster.follow.upstream_cx_http2_total').value).toBe(1);
  });
});
