import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { AdsServer, TypeUrl, type JsonObject } from '@mizzen/xds';
import { freePort } from '@mizzen/testing';
import { describe, expect, it } from 'vitest';

// The agent with the mesh's own proxy binary and a real ADS server: the bootstrap must start
// the proxy, carry the node to the control plane, and readiness must follow the proxy.
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const proxyBinary = fileURLToPath(new URL('../../../node_modules/.bin/mizzen-proxy', import.meta.url));

function status(port: number): Promise<{ status: number; body: string }> {
  return get(port, '/healthz/ready');
}

/** The A records the DNS proxy gives for a name (over UDP). */
function resolveA(port: number, name: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('error', reject);
    socket.on('message', (message) => {
      socket.close();
      resolve((dnsPacket.decode(message).answers ?? []).map((a) => String((a as { data?: unknown }).data)));
    });
    socket.send(dnsPacket.encode({ id: 1, type: 'query', questions: [{ type: 'A', name }] }), port, '127.0.0.1');
  });
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('pilot-agent with mizzen-proxy', { timeout: 60_000 }, () => {
  it('brings the proxy up on ADS through the local xDS proxy, reports it ready, and serves DNS, metrics and probes', async (context) => {
    const opened = Promise.withResolvers<{ id: string; node: JsonObject }>();
    const subscribed = new Set<string>();
    const acked = Promise.withResolvers<void>();
    const acks = new Set<string>();
    const ndsAcked = Promise.withResolvers<void>();
    const ndsSubscribed = Promise.withResolvers<string>();
    const server = new AdsServer({
      onStreamOpen: (stream) => opened.resolve(stream),
      onSubscribe: (id, typeUrl) => {
        subscribed.add(typeUrl);
        if (typeUrl === TypeUrl.NameTable) ndsSubscribed.resolve(id);
      },
      onAck: (_id, typeUrl) => {
        acks.add(typeUrl);
        if (typeUrl === TypeUrl.NameTable) ndsAcked.resolve();
        if (acks.has(TypeUrl.Cluster) && acks.has(TypeUrl.Listener)) acked.resolve();
      },
      onNack: (_id, typeUrl, _v, _n, error) => acked.reject(new Error(`NACK ${typeUrl}: ${error}`)),
      onStreamClose: () => {},
    });
    const xdsPort = await server.listen('127.0.0.1:0');
    context.onTestFinished(() => server.close());
    const dir = mkdtempSync(join(tmpdir(), 'agent-proxy-'));
    context.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));

    const statusPort = await freePort();
    const adminPort = await freePort();
    const agentPort = await freePort();
    const dnsPort = await freePort();
    const app = createServer((_req, res) => res.end('app_hits_total 7\n'));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    context.onTestFinished(() => void app.close());
    const appPort = (app.address() as AddressInfo).port;
    writeFileSync(join(dir, 'resolv.conf'), 'search demo.svc.cluster.local\n');
    const agent = spawn(process.execPath, [
      main, 'proxy', 'sidecar', '--discovery-address', `127.0.0.1:${xdsPort}`, '--status-port', String(statusPort),
      '--proxy-admin-port', String(adminPort), '--binary-path', proxyBinary, '--concurrency', '1', '--config-path', dir,
      '--agent-port', String(agentPort), '--resolv-conf', join(dir, 'resolv.conf'), '--drain-duration', '100ms',
    ], {
      env: {
        ...process.env, POD_NAME: 'sleep-5d8f', POD_NAMESPACE: 'demo', INSTANCE_IP: '127.0.0.1', ISTIO_METAJSON_LABELS: '{"app":"sleep"}', ISTIO_META_INTERCEPTION_MODE: 'NONE',
        ISTIO_META_DNS_CAPTURE: 'true', DNS_PROXY_ADDR: `127.0.0.1:${dnsPort}`, EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true', MINIMUM_DRAIN_DURATION: '0s',
        ISTIO_KUBE_APP_PROBERS: JSON.stringify({ '/app-health/sleep/readyz': { httpGet: { path: '/ready', port: appPort } }, '/app-health/sleep/livez': { tcpSocket: { port: appPort } } }),
        ISTIO_PROMETHEUS_ANNOTATIONS: JSON.stringify({ scrape: 'true', port: String(appPort), path: '/metrics' }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    agent.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    agent.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<number | null>((resolve) => agent.on('close', resolve));
    context.onTestFinished(() => void agent.kill('SIGKILL'));

    const stream = await Promise.race([opened.promise, exited.then(() => Promise.reject(new Error(`agent exited:\n${output}`)))]);
    expect(stream.node.id).toBe('sidecar~127.0.0.1~sleep-5d8f.demo~demo.svc.cluster.local');
    expect(stream.node.cluster).toBe('sleep.demo');
    expect(stream.node.metadata).toMatchObject({ NAMESPACE: 'demo', LABELS: { app: 'sleep' }, INTERCEPTION_MODE: 'NONE' });

    // Nothing pushed yet: the proxy waits for its first configuration, so the pod is not ready.
    const before = await status(statusPort);
    expect(before.status).toBe(503);
    expect(before.body).toMatch(/INITIALIZING/);

    // An empty configuration is a complete one.
    expect([...subscribed]).toContain(TypeUrl.Cluster);
    server.push(stream.id, TypeUrl.Cluster, [], '1');
    server.push(stream.id, TypeUrl.Listener, [], '1');
    await acked.promise;
    // The ACK and the proxy turning LIVE are separate steps inside the proxy; ask until it is.
    let after = await status(statusPort);
    for (let i = 0; i < 50 && after.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await status(statusPort);
    }
    expect(after).toEqual({ status: 200, body: 'ready\n' });
    // The proxy's stream came through the agent's unix socket.
    expect(readFileSync(join(dir, 'envoy-rev.json'), 'utf8')).toContain(`"path": "${join(dir, 'XDS')}"`);

    // The name table arrives on the proxy's stream; the DNS proxy answers from it.
    const ndsStream = await ndsSubscribed.promise;
    expect(ndsStream).toBe(stream.id);
    server.push(stream.id, TypeUrl.NameTable, [{ table: { 'web.demo.svc.cluster.local': { ips: ['10.96.0.20'], registry: 'Kubernetes', shortname: 'web', namespace: 'demo' } } }], 'n1');
    // The agent applies the table before it ACKs it.
    await ndsAcked.promise;
    expect(await resolveA(dnsPort, 'web')).toEqual(['10.96.0.20']);
    expect(await resolveA(dnsPort, 'web.demo.svc.cluster.local')).toEqual(['10.96.0.20']);

    // Merged metrics: the proxy's, the app's and the agent's own; rewritten probes reach the app.
    const page = await get(agentPort, '/stats/prometheus');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/^envoy_/m);
    expect(page.body).toContain('app_hits_total 7');
    expect(page.body).toMatch(/^istio_agent_dns_requests_total\{answer="mesh"\} [1-9]/m);
    expect(page.body).toMatch(/^istio_agent_xds_proxy_responses [1-9]/m);
    expect(await get(agentPort, '/app-health/sleep/readyz')).toEqual({ status: 200, body: `http://127.0.0.1:${appPort}/ready answered 200\n` });
    expect((await get(agentPort, '/app-health/sleep/livez')).status).toBe(200);
    expect((await get(agentPort, '/app-health/other/livez')).status).toBe(404);

    // SIGTERM: the proxy drains through its admin API, its connections are counted, it stops.
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('proxy listeners are draining');
    expect(output).toContain('the proxy has no active connections left');
    expect(output).toContain('proxy exited with code 0');
  });
});
