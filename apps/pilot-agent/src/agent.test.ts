import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@mizzen/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// These tests run the real agent (main.ts) with a fake proxy binary and talk to both over
// loopback sockets.
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const fakeProxy = fileURLToPath(new URL('./testdata/fake-proxy.ts', import.meta.url));

let dir: string;
let binary: string;
const agents: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-test-'));
  binary = join(dir, 'fake-proxy');
  writeFileSync(binary, `#!/bin/sh\nexec "${process.execPath}" "${fakeProxy}" "$@"\n`);
  chmodSync(binary, 0o755);
});
afterEach(() => {
  for (const agent of agents.splice(0)) if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface RunningAgent {
  child: ChildProcess;
  statusPort: number;
  adminPort: number;
  agentPort: number;
  output: () => string;
  waitFor: (pattern: RegExp) => Promise<void>;
  exited: Promise<number | null>;
}

async function startAgent(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningAgent> {
  const statusPort = await freePort();
  const adminPort = await freePort();
  const agentPort = await freePort();
  const args = [
    main, 'proxy', 'sidecar', '--discovery-address', '127.0.0.1:15010', '--status-port', String(statusPort), '--agent-port', String(agentPort),
    '--proxy-admin-port', String(adminPort), '--binary-path', binary, '--config-path', join(dir, `pod-${statusPort}`), ...extraArgs,
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, POD_NAME: 'sleep', POD_NAMESPACE: 'demo', INSTANCE_IP: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  agents.push(child);
  let output = '';
  const waiters: Array<() => void> = [];
  const collect = (chunk: string) => {
    output += chunk;
    for (const check of [...waiters]) check();
  };
  child.stdout!.setEncoding('utf8').on('data', collect);
  child.stderr!.setEncoding('utf8').on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(output)) return;
        waiters.splice(waiters.indexOf(check), 1);
        resolve();
      };
      waiters.push(check);
      exited.then(() => reject(new Error(`agent exited before printing ${pattern}:\n${output}`)));
      check();
    });
  return { child, statusPort, adminPort, agentPort, output: () => output, waitFor, exited };
}

function http(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
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

// Generous timeouts: each test starts two Node processes, which is slow on a loaded machine.
describe('pilot-agent supervising a proxy', { timeout: 30_000 }, () => {
  it('starts the proxy on its bootstrap, turns ready with it, and drains it on SIGTERM', async () => {
    const agent = await startAgent(['--concurrency', '3', '--proxy-log-level', 'debug', '--drain-duration', '300ms'], { FAKE_PROXY_SIGTERM_EXIT: '7' });
    await agent.waitFor(/fake-proxy: admin on/);

    const bootstrapFile = join(dir, `pod-${agent.statusPort}`, 'envoy-rev.json');
    expect(agent.output()).toContain(`fake-proxy: args -c ${bootstrapFile} --concurrency 3 --log-level debug`);
    const bootstrap = JSON.parse(readFileSync(bootstrapFile, 'utf8'));
    expect(bootstrap.node.id).toBe('sidecar~127.0.0.1~sleep.demo~demo.svc.cluster.local');

    const before = await http(agent.statusPort, '/healthz/ready');
    expect(before.status).toBe(503);
    expect(before.body).toContain('PRE_INITIALIZING');
    await http(agent.adminPort, '/test/go-live', 'POST');
    expect(await http(agent.statusPort, '/healthz/ready')).toEqual({ status: 200, body: 'ready\n' });

    agent.child.kill('SIGTERM');
    await agent.waitFor(/fake-proxy: drain_listeners \?graceful/);
    expect(await http(agent.statusPort, '/healthz/ready')).toEqual({ status: 503, body: 'proxy is draining (SIGTERM)\n' });
    // Stopped on request: the agent ends well whatever code the proxy stops with.
    expect(await agent.exited).toBe(0);
    const out = agent.output();
    expect(out.indexOf('fake-proxy: got SIGTERM')).toBeGreaterThan(out.indexOf('graceful termination: waiting 300 ms'));
    expect(out).toContain('proxy exited with code 7; the agent stops as asked');
  });

  it('kills the proxy on a second signal while it drains', async () => {
    const agent = await startAgent(['--drain-duration', '60s'], { FAKE_PROXY_SIGTERM_EXIT: 'ignore' });
    await agent.waitFor(/fake-proxy: admin on/);
    agent.child.kill('SIGTERM');
    await agent.waitFor(/fake-proxy: drain_listeners/);
    agent.child.kill('SIGINT');
    expect(await agent.exited).toBe(0);
    expect(agent.output()).toContain('proxy was killed by signal SIGKILL');
  });

  it('kills a proxy that does not stop after the drain', async () => {
    const agent = await startAgent(['--drain-duration', '100ms'], { FAKE_PROXY_SIGTERM_EXIT: 'ignore' });
    await agent.waitFor(/fake-proxy: admin on/);
    agent.child.kill('SIGINT');
    expect(await agent.exited).toBe(0);
    expect(agent.output()).toContain('fake-proxy: got SIGTERM');
    expect(agent.output()).toContain('proxy was killed by signal SIGKILL');
  });

  it('with EXIT_ON_ZERO_ACTIVE_CONNECTIONS, stops the proxy once its connections reach zero', async () => {
    const agent = await startAgent(['--drain-duration', '60s'], { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true', MINIMUM_DRAIN_DURATION: '0s' });
    await agent.waitFor(/fake-proxy: admin on/);
    await http(agent.adminPort, '/test/connections?n=2', 'POST');
    agent.child.kill('SIGTERM');
    await agent.waitFor(/the proxy still has 2 active connections/);
    expect(agent.output()).not.toContain('fake-proxy: got SIGTERM');
    await http(agent.adminPort, '/test/connections?n=0', 'POST');
    expect(await agent.exited).toBe(0);
    expect(agent.output()).toMatch(/no active connections left[^]*fake-proxy: got SIGTERM/);
  });

  it('restarts a proxy that exits on its own, and serves readiness from the new one', async () => {
    const agent = await startAgent(['--restart-backoff', '10ms', '--drain-duration', '100ms']);
    await agent.waitFor(/fake-proxy: admin on/);
    await http(agent.adminPort, '/test/exit?code=3', 'POST');
    await agent.waitFor(/proxy exited with code 3 unexpectedly; restarting it in 10 ms \(restart 1 of at most 10/);
    await agent.waitFor(/fake-proxy: admin on[^]*fake-proxy: admin on/);
    await http(agent.adminPort, '/test/go-live', 'POST');
    expect(await http(agent.statusPort, '/healthz/ready')).toEqual({ status: 200, body: 'ready\n' });
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  });

  it('gives up, exiting with the proxy’s code, when the proxy keeps failing', async () => {
    const agent = await startAgent(['--max-restarts', '2', '--restart-backoff', '10ms'], { FAKE_PROXY_EXIT_AT_START: '3' });
    expect(await agent.exited).toBe(3);
    expect(agent.output().match(/fake-proxy: exiting at start/g)).toHaveLength(3);
    expect(agent.output()).toContain('proxy exited with code 3; giving up after 2 restarts in a row');
  });

  it('exits 127 naming a proxy binary that does not exist', async () => {
    const agent = await startAgent(['--binary-path', join(dir, 'no-such-proxy')]);
    expect(await agent.exited).toBe(127);
    expect(agent.output()).toMatch(/proxy could not be started: .*no-such-proxy.*ENOENT/);
  });

  it('exits 1 without starting the proxy when the status port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const agent = await startAgent(['--status-port', String(port)]);
      expect(await agent.exited).toBe(1);
      expect(agent.output()).toContain(`cannot serve status on port ${port}`);
      expect(agent.output()).not.toContain('fake-proxy');
    } finally {
      taken.close();
    }
  });

  it('exits 2 on a bad flag without starting anything', async () => {
    const agent = await startAgent(['--status-port', 'nope']);
    expect(await agent.exited).toBe(2);
    expect(agent.output()).toMatch(/--status-port.*'nope'/);
    expect(agent.output()).not.toContain('fake-proxy');
  });
});
