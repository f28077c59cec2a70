import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns } from '@mizzen/net';
import { ContainerProbes, nextProbeState, probeCheck, probesOf, probeTimings, type ProbeResult, type ProbeTimings } from './container-probes.ts';

const netns = `mzt-probe-${randomBytes(4).toString('hex')}`;
let server: Server;
let port: number;
/** What the app's /ready answers, changed by the tests. */
let readyStatus = 503;

beforeAll(async () => {
  await createNetns(netns);
  server = createServer((request, response) => {
    response.statusCode = request.url === '/ready' ? readyStatus : request.url === '/moved' ? 302 : 404;
    response.end(request.headers['x-probe'] ?? '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.close();
  await deleteNetns(netns);
});

const target = () => ({ podIP: '127.0.0.1', netns, ports: [{ name: 'http', containerPort: port }] });
const fast: ProbeTimings = { initialDelayMs: 0, periodMs: 5, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 };

describe('container probes', { timeout: 15_000 }, () => {
  it("fills in the kubelet's defaults and names a bad field", () => {
    expect(probeTimings({}, 'c')).toEqual({ initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
    expect(probeTimings({ initialDelaySeconds: 2, periodSeconds: 1, failureThreshold: 1 }, 'c')).toMatchObject({ initialDelayMs: 2000, periodMs: 1000, failureThreshold: 1 });
    expect(() => probeTimings({ periodSeconds: 0 }, 'pod p: spec.containers[0].readinessProbe')).toThrow('pod p: spec.containers[0].readinessProbe.periodSeconds: must be a whole number of at least 1, got 0');
  });

  it('passes after successThreshold passes in a row and fails after failureThreshold failures in a row', () => {
    const t = { ...fast, successThreshold: 2, failureThreshold: 2 };
    let state = { passing: false, successes: 0, failures: 0 };
    const seen: boolean[] = [];
    for (const ok of [true, false, true, true, false, true, false, false]) {
      state = nextProbeState(state, ok, t);
      seen.push(state.passing);
    }
    expect(seen).toEqual([false, false, false, true, true, true, true, false]);
  });

  it('checks over HTTP (200 to 399 pass, a named port), TCP and exec in the pod', async () => {
    const http = probeCheck({ httpGet: { path: '/ready', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] } }, target(), 1000, 'c');
    readyStatus = 503;
    expect(await http()).toEqual({ ok: false, detail: 'HTTP 503 from /ready' });
    readyStatus = 200;
    expect(await http()).toEqual({ ok: true, detail: 'HTTP 200 from /ready' });
    expect((await probeCheck({ httpGet: { path: '/moved', port } }, target(), 1000, 'c')()).ok).toBe(true);
    expect((await probeCheck({ tcpSocket: { port } }, target(), 1000, 'c')()).ok).toBe(true);
    const closed: ProbeResult = await probeCheck({ tcpSocket: { port: 1 } }, target(), 1000, 'c')();
    expect(closed.ok).toBe(false);
    expect(closed.detail).toMatch(/port 1: connect ECONNREFUSED/);
    expect(await probeCheck({ exec: { command: ['sh', '-c', 'test -e /proc/self'] } }, target(), 1000, 'c')()).toEqual({ ok: true, detail: 'exit code 0' });
    expect(await probeCheck({ exec: { command: ['sh', '-c', 'echo not yet; exit 3'] } }, target(), 1000, 'c')()).toEqual({ ok: false, detail: 'exit code 3: not yet' });
    expect(await probeCheck({ exec: { command: ['sleep', '5'] } }, target(), 100, 'c')()).toEqual({ ok: false, detail: 'sleep 5: no exit within 100 ms' });
  });

  it('names a probe that cannot run', () => {
    expect(() => probeCheck({ httpGet: { port: 'metrics' } }, target(), 1000, 'pod p: spec.containers[0].readinessProbe')).toThrow(
      `pod p: spec.containers[0].readinessProbe.httpGet.port: "metrics" is neither a port number nor the name of one of the container's ports`,
    );
    expect(() => probesOf({ livenessProbe: { exec: { command: [] } } }, target(), 'pod p: spec.containers[1]')).toThrow('pod p: spec.containers[1].livenessProbe.exec.command: must be a non-empty list of strings');
    expect(() => probesOf({ readinessProbe: { grpc: { port: 9000 } } }, target(), 'c')).toThrow('c.readinessProbe.grpc: runs only through the sidecar');
    expect(() => probesOf({ startupProbe: {} }, target(), 'c')).toThrow('c.startupProbe: needs httpGet, tcpSocket or exec');
    expect(probesOf({}, target(), 'c')).toEqual({});
  });

  it('turns ready when the readiness probe passes and not ready when it fails enough', async () => {
    const results = [false, false, true, true, false, false, false];
    const changes: [boolean, string][] = [];
    let calls = 0;
    const check = async (): Promise<ProbeResult> => ({ ok: results[Math.min(calls, results.length - 1)], detail: `call ${calls++}` });
    let settled!: () => void;
    const done = new Promise<void>((resolve) => (settled = resolve));
    const probes = new ContainerProbes({
      probes: { readiness: { check, timings: fast } },
      onReadiness: (ready, detail) => {
        changes.push([ready, detail]);
        if (!ready) settled();
      },
      onFailure: () => {},
    });
    await done;
    probes.stop();
    expect(changes).toEqual([
      [true, 'call 2'],
      [false, 'call 6'],
    ]);
  });

  it('waits for the startup probe before readiness, and reports a liveness probe that gives up', async () => {
    let started = false;
    const events: string[] = [];
    let settled!: () => void;
    const done = new Promise<void>((resolve) => (settled = resolve));
    let startupCalls = 0;
    const probes = new ContainerProbes({
      probes: {
        startup: { check: async () => ({ ok: (started = ++startupCalls >= 2), detail: 'startup' }), timings: fast },
        readiness: { check: async () => (events.push(`readiness after start: ${started}`), { ok: true, detail: 'ready' }), timings: { ...fast, periodMs: 1000 } },
        liveness: { check: async () => ({ ok: false, detail: 'HTTP 500 from /live' }), timings: { ...fast, failureThreshold: 2 } },
      },
      onReadiness: (ready) => events.push(`ready ${ready}`),
      onFailure: (kind, detail) => {
        events.push(`${kind} failed: ${detail}`);
        settled();
      },
    });
    await done;
    probes.stop();
    expect(events).toContain('readiness after start: true');
    expect(events).not.toContain('readiness after start: false');
    expect(events).toContain('liveness failed: HTTP 500 from /live');
    expect(probes.ready).toBe(true);
  });
});
