import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdsServer, TypeUrl, type JsonObject } from '@mizzen/xds';
import { freePort } from '@mizzen/testing';
import { describe, expect, it } from 'vitest';

// The agent with the mesh's own proxy binary and a real ADS server: the bootstrap must start
// the proxy, carry the node to the control plane, and readiness must follow the proxy.
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const proxyBinary = fileURLToPath(new URL('../../../node_modules/.bin/mizzen-proxy', import.meta.url));

function status(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/healthz/ready' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('pilot-agent with mizzen-proxy', { timeout: 60_000 }, () => {
  it('brings the proxy up on ADS, with the node istiod expects, and reports it ready', async (context) => {
    const opened = Promise.withResolvers<{ id: string; node: JsonObject }>();
    const subscribed = new Set<string>();
    const acked = Promise.withResolvers<void>();
    const acks = new Set<string>();
    const server = new AdsServer({
      onStreamOpen: (stream) => opened.resolve(stream),
      onSubscribe: (_id, typeUrl) => void subscribed.add(typeUrl),
      onAck: (_id, typeUrl) => {
        acks.add(typeUrl);
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
    const agent = spawn(process.execPath, [
      main, 'proxy', 'sidecar', '--discovery-address', `127.0.0.1:${xdsPort}`, '--status-port', String(statusPort),
      '--proxy-admin-port', String(adminPort), '--binary-path', proxyBinary, '--concurrency', '1', '--config-path', dir,
    ], {
      env: { ...process.env, POD_NAME: 'sleep-5d8f', POD_NAMESPACE: 'demo', INSTANCE_IP: '127.0.0.1', ISTIO_METAJSON_LABELS: '{"app":"sleep"}', ISTIO_META_INTERCEPTION_MODE: 'NONE' },
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

    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('proxy exited with code 0');
  });
});
