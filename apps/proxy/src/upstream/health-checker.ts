import { connect, type Socket } from 'node:net';
import { CRLFCRLF, HttpParseError, parseResponseHead, type Counter, type Gauge, type StatsStore } from '@mizzen/filters';
import type { HealthCheckConfig, HealthCheckProbe } from './health-check-config.ts';
import type { Host } from './upstream-host.ts';

/** How one check ended: a pass, a failure that counts toward unhealthy_threshold, or (HTTP) an
 *  unexpected status, which marks the host unhealthy at once as in Envoy. */
export type CheckResult = 'pass' | 'fail' | 'fail-now';

// A health check reply never needs more than this to decide.
const MAX_REPLY = 65536;

/** Runs one check against `host`: HTTP (a GET of the path, its status judged) or TCP (a connect,
 *  then the send payload and the receive payloads in order). Never rejects. */
export function runCheck(host: Host, probe: HealthCheckProbe, timeoutMs: number, clusterName: string): Promise<CheckResult> {
  return new Promise((resolve) => {
    let done = false;
    let reply = Buffer.alloc(0);
    const socket: Socket = connect({ host: host.address, port: host.port, noDelay: true });
    const finish = (result: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(finish, timeoutMs, 'fail');
    socket.on('error', () => finish('fail'));
    socket.on('close', () => finish('fail'));
    socket.on('connect', () => {
      if (probe.kind === 'http') {
        let head = `GET ${probe.path} HTTP/1.1\r\nhost: ${probe.host ?? clusterName}\r\nuser-agent: Envoy/HC\r\nconnection: close\r\n`;
        for (const [name, value] of probe.headers) head += `${name}: ${value}\r\n`;
        socket.write(`${head}\r\n`, 'latin1');
      } else if (probe.send.length > 0) socket.write(probe.send);
      if (probe.kind === 'tcp' && probe.receive.length === 0) finish('pass');
    });
    socket.on('data', (data: Buffer) => {
      reply = Buffer.concat([reply, data]);
      const result = probe.kind === 'http' ? judgeHttp(reply, probe.expectedStatuses) : judgeTcp(reply, probe.receive);
      if (result !== undefined) finish(result);
      else if (reply.length > MAX_REPLY) finish('fail');
    });
  });
}

/** The verdict on an HTTP reply so far, or undefined while its head is incomplete. */
export function judgeHttp(reply: Buffer, expected: readonly [number, number][]): CheckResult | undefined {
  const end = reply.indexOf(CRLFCRLF);
  if (end === -1) return undefined;
  try {
    const { status } = parseResponseHead(reply, 0, end);
    return expected.some(([start, stop]) => status >= start && status < stop) ? 'pass' : 'fail-now';
  } catch (err) {
    if (err instanceof HttpParseError) return 'fail';
    throw err;
  }
}

/** Whether every receive payload has shown up, in order. */
export function judgeTcp(reply: Buffer, receive: readonly Buffer[]): CheckResult | undefined {
  let at = 0;
  for (const expected of receive) {
    const found = reply.indexOf(expected, at);
    if (found === -1) return undefined;
    at = found + expected.length;
  }
  return 'pass';
}

interface HostState {
  successes: number;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  /** True once the first check of this host ended. */
  checked: boolean;
}

interface HealthCheckStats {
  readonly attempt: Counter;
  readonly success: Counter;
  readonly failure: Counter;
  readonly healthy: Gauge;
}

function onTimer(checker: HealthChecker, host: Host): void {
  checker.check(host);
}

/**
 * Active health checking for one cluster (its first health_checks entry, as Envoy runs one
 * checker per entry and a host must pass them all; a second entry is rare and refused). Each
 * host is checked every interval; unhealthy_threshold failures in a row (or one unexpected HTTP
 * status) mark it failed_active_hc and take it out of load balancing, healthy_threshold passes
 * in a row bring it back. A new host starts failed and is checked at once; its first pass is
 * enough, as in Envoy.
 */
export class HealthChecker {
  private readonly config: HealthCheckConfig;
  private readonly clusterName: string;
  private readonly onChange: (host: Host, healthy: boolean) => void;
  private readonly states = new Map<Host, HostState>();
  private readonly stats: HealthCheckStats;
  private readonly random: () => number;
  private destroyed = false;

  constructor(config: HealthCheckConfig, clusterName: string, onChange: (host: Host, healthy: boolean) => void, stats: StatsStore, random = Math.random) {
    this.config = config;
    this.clusterName = clusterName;
    this.onChange = onChange;
    this.random = random;
    const p = `cluster.${clusterName}.health_check.`;
    this.stats = {
      attempt: stats.counter(`${p}attempt`),
      success: stats.counter(`${p}success`),
      failure: stats.counter(`${p}failure`),
      healthy: stats.gauge(`${p}healthy`),
    };
  }

  /** The cluster's hosts now: new ones start being checked, departed ones stop. */
  setHosts(hosts: Iterable<Host>): void {
    const current = new Set(hosts);
    for (const [host, state] of this.states) {
      if (current.has(host)) continue;
      clearTimeout(state.timer);
      this.states.delete(host);
    }
    for (const host of current) {
      if (this.states.has(host)) continue;
      host.activeHealthFailed = true;
      const state: HostState = { successes: 0, failures: 0, timer: undefined, checked: false };
      this.states.set(host, state);
      state.timer = setTimeout(onTimer, this.random() * this.config.initialJitterMs, this, host).unref();
    }
    this.updateGauge();
  }

  check(host: Host): void {
    const state = this.states.get(host);
    if (state === undefined || this.destroyed) return;
    state.timer = undefined;
    this.stats.attempt.inc();
    void runCheck(host, this.config.probe, this.config.timeoutMs, this.clusterName).then((result) => this.onResult(host, result));
  }

  private onResult(host: Host, result: CheckResult): void {
    const state = this.states.get(host);
    if (state === undefined || this.destroyed) return;
    const c = this.config;
    const wasFailed = host.activeHealthFailed;
    if (result === 'pass') {
      this.stats.success.inc();
      state.failures = 0;
      state.successes++;
      if (wasFailed && (!state.checked || state.successes >= c.healthyThreshold)) host.activeHealthFailed = false;
    } else {
      this.stats.failure.inc();
      state.successes = 0;
      state.failures++;
      if (!wasFailed && (result === 'fail-now' || state.failures >= c.unhealthyThreshold)) host.activeHealthFailed = true;
    }
    state.checked = true;
    if (host.activeHealthFailed !== wasFailed) {
      this.updateGauge();
      this.onChange(host, !host.activeHealthFailed);
    }
    const interval = host.activeHealthFailed ? c.unhealthyIntervalMs : c.intervalMs;
    state.timer = setTimeout(onTimer, interval + this.random() * c.intervalJitterMs, this, host).unref();
  }

  private updateGauge(): void {
    let healthy = 0;
    for (const host of this.states.keys()) if (!host.activeHealthFailed) healthy++;
    this.stats.healthy.set(healthy);
  }

  destroy(): void {
    this.destroyed = true;
    for (const state of this.states.values()) clearTimeout(state.timer);
    this.states.clear();
  }
}
