import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { httpFilter, listener, staticCluster } from '../../test/bootstrap-builder.ts';
import { RawHttpClient } from '../../test/raw-http-client.ts';
import { ScriptedUpstream } from '../../test/scripted-upstream.ts';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';

let upstream: ScriptedUpstream;
let proxy: ProxyServer;
let port: number;

beforeAll(async () => {
  upstream = new ScriptedUpstream();
  const upstreamPort = await upstream.listen();
  port = await freePort();
  const deadPort = await freePort();
  const retryPolicy = {
    retry_on: 'retriable-status-codes,reset,connect-failure',
    num_retries: 2,
    retriable_status_codes: [503],
    per_try_timeout: '0.3s',
    retry_back_off: { base_interval: '0.001s' },
    retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }],
    host_selection_retry_max_attempts: 5,
  };
  const routes = { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], include_request_attempt_count: true, routes: [
    { match: { prefix: '/retry' }, route: { cluster: 'up', retry_policy: retryPolicy } },
    { match: { prefix: '/two' }, route: { cluster: 'two', retry_policy: retryPolicy } },
    { match: { prefix: '/' }, route: { cluster: 'up' } },
  ] }] };
  proxy = new ProxyServer(compileBootstrap({
    static_resources: {
      listeners: [listener('http', port, [httpFilter('in', { route_config: routes })])],
      clusters: [staticCluster('up', [{ port: upstreamPort }]), staticCluster('two', [{ port: deadPort }, { port: upstreamPort }])],
    },
  }), { log: new ConsoleLogger('off'), drainTimeMs: 0, concurrency: 1 });
  await proxy.start();
});

afterAll(async () => {
  await proxy.stop(0);
  upstream.close();
});

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

describe('upstream failures', () => {
  it('answers 503 when the upstream closes before answering', async () => {
    upstream.onRequest = (socket) => socket.destroy();
    const client = new RawHttpClient(port);
    await client.send(get('/a'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(503);
    expect(res.body.toString()).toContain('reset reason: connection termination');
  });

  it('resets the client when the upstream dies mid-body', async () => {
    upstream.onRequest = (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      socket.destroy();
    };
    const client = new RawHttpClient(port);
    await client.send(get('/b'));
    await client.waitClosed();
    expect(client.responses).toHaveLength(0);
  });

  it('answers 503 for a malformed upstream response', async () => {
    upstream.onRequest = (socket) => socket.write('HTTP/1.1 OK\r\n\r\n');
    const client = new RawHttpClient(port);
    await client.send(get('/c'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(503);
    expect(res.body.toString()).toContain('protocol error');
  });

  it('retries once on a fresh connection when a kept-alive one was closed under it', async () => {
    let n = 0;
    upstream.onRequest = (socket) => {
      n++;
      socket.write(ok(`r${n}`));
    };
    const client = new RawHttpClient(port);
    await client.send(get('/d1'));
    await client.waitFor(1);
    // The upstream drops its idle connection without the proxy noticing in time.
    const kept = upstream.sockets[upstream.sockets.length - 1];
    upstream.onRequest = (socket) => {
      if (socket === kept) socket.destroy();
      else socket.write(ok('fresh'));
    };
    await client.send(get('/d2'));
    const [, second] = await client.waitFor(2);
    client.close();
    expect(second.status).toBe(200);
    expect(second.body.toString()).toBe('fresh');
  });

  it('does not reuse an upstream connection whose client went away mid-response', async () => {
    const client = new RawHttpClient(port);
    const upstreamSocket = await new Promise<Socket>((resolve) => {
      upstream.onRequest = (socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf');
        resolve(socket);
      };
      void client.send(get('/e1'));
    });
    const closed = new Promise<void>((resolve) => upstreamSocket.once('close', () => resolve()));
    client.close();
    await closed;
    upstream.onRequest = (socket) => socket.write(ok('next'));
    const next = new RawHttpClient(port);
    await next.send(get('/e2'));
    const [res] = await next.waitFor(1);
    next.close();
    expect(res.body.toString()).toBe('next');
  });

  it('forwards an until-close response to the client as chunked', async () => {
    upstream.onRequest = (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nstream');
      socket.end(' end');
    };
    const client = new RawHttpClient(port);
    await client.send(get('/f'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.body.toString()).toBe('stream end');
  });
});

describe('retry_policy', () => {
  it('retries a retriable status and tells the upstream the attempt number', async () => {
    const attempts: string[] = [];
    upstream.onRequest = (socket, data) => {
      attempts.push(/x-envoy-attempt-count: (\d)/.exec(data)?.[1] ?? '?');
      socket.write(attempts.length === 1 ? 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy' : ok('second'));
    };
    const client = new RawHttpClient(port);
    await client.send(get('/retry/status'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.body.toString()).toBe('second');
    expect(attempts).toEqual(['1', '2']);
    expect(proxy.stats.counter('cluster.up.upstream_rq_retry').value).toBe(1);
  });

  it('replays the request body after a reset', async () => {
    const bodies: string[] = [];
    upstream.onRequest = (socket, data) => {
      bodies.push(data.slice(data.indexOf('\r\n\r\n') + 4));
      if (bodies.length === 1) socket.destroy();
      else socket.write(ok('replayed'));
    };
    const client = new RawHttpClient(port);
    await client.send('POST /retry/body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', ['POST']);
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.body.toString()).toBe('replayed');
    expect(bodies).toEqual(['hello', 'hello']);
  });

  it('retries a try that outlives per_try_timeout', async () => {
    let n = 0;
    upstream.onRequest = (socket) => {
      if (++n > 1) socket.write(ok('in time'));
    };
    const client = new RawHttpClient(port);
    await client.send(get('/retry/slow'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.body.toString()).toBe('in time');
    expect(proxy.stats.counter('cluster.up.upstream_rq_per_try_timeout').value).toBe(1);
  });

  it('moves to another host after a connect failure', async () => {
    upstream.onRequest = (socket) => socket.write(ok('alive'));
    for (let i = 0; i < 4; i++) {
      const client = new RawHttpClient(port);
      await client.send(get('/two'));
      const [res] = await client.waitFor(1);
      client.close();
      expect(res.body.toString()).toBe('alive');
    }
    expect(proxy.stats.counter('cluster.two.upstream_cx_connect_fail').value).toBeGreaterThan(0);
  });

  it('gives up after num_retries and answers with the last response', async () => {
    upstream.onRequest = (socket) => socket.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy');
    const client = new RawHttpClient(port);
    await client.send(get('/retry/always'));
    const [res] = await client.waitFor(1);
    client.close();
    expect(res.status).toBe(503);
    expect(res.body.toString()).toBe('busy');
  });
});
