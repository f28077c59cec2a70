import { connect, type Socket } from 'node:net';
import { CRLFCRLF, HttpParseError, parseResponseHead, type Counter, type Gauge, type StatsStore } from '@mizzen/filters';
import type { HealthCheckConfig, HealthCheckProbe } from './health-check-config.ts';
import { healthShareOf, type HealthFollower, type HealthShare } from './health-check-sharing.ts';
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
 *
 * In a worker thread of `--concurrency` the checker only follows: it sends no probes and takes
 * each host's state from the main thread's checker of the same cluster (health-check-sharing.ts).
 * The stats are the main thread's alone.
 */
export class HealthChecker implements HealthFollower {
  private readonly config: HealthCheckConfig;
  private readonly clusterName: string;
  private readonly onChange: (host: Host, healthy: boolean) => void;
  private readonly states = new Map<Host, HostState>();
  private readonly stats: HealthCheckStats | undefined;
  private readonly share: HealthShare;
  private readonly random: () => number;
  private destroyed = false;

  constructor(config: HealthCheckConfig, clusterName: string, onChange: (host: Host, healthy: boolean) => void, stats: StatsStore, random = Math.random) {
    this.config = config;
    this.clusterName = clusterName;
    this.onChange = onChange;
    this.random = random;
    this.share = healthShareOf(stats);
    if (this.share.following) {
      this.share.register(clusterName, this);
      return;
    }
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
    const following = this.share.following;
    for (const [host, state] of this.states) {
      if (current.has(host)) continue;
      clearTimeout(state.timer);
      this.states.delete(host);
      if (!following) this.share.publish({ cluster: this.clusterName, host: host.key, failed: null });
    }
    for (const host of current) {
      if (this.states.has(host)) continue;
      const state: HostState = { successes: 0, failures: 0, timer: undefined, checked: false };
      this.states.set(host, state);
      if (following) {
        host.activeHealthFailed = this.share.stateOf(this.clusterName, host.key) ?? true;
        continue;
      }
      host.activeHealthFailed = true;
      this.share.publish({ cluster: this.clusterName, host: host.key, failed: true });
      state.timer = setTimeout(onTimer, this.random() * this.config.initialJitterMs, this, host).unref();
    }
    this.updateGauge();
  }

  /** A following checker: the main thread's verdict on one of this cluster's hosts. */
  onShared(key: string, failed: boolean): void {
    if (this.destroyed) return;
    for (const host of this.states.keys()) {
      if (host.key !== key || host.activeHealthFailed === failed) continue;
      host.activeHealthFailed = failed;
      this.onChange(host, !failed);
    }
  }

  check(host: Host): void {
    const state = this.states.get(host);
    if (state === undefined || this.destroyed || !this.stats) return;
    state.timer = undefined;
    this.stats.attempt.inc();
    void runCheck(host, this.config.probe, this.config.timeoutMs, this.clusterName).then((result) => this.onResult(host, result));
  }

  private onResult(host: Host, result: CheckResult): void {
    const state = this.states.get(host);
    if (state === undefined || this.destroyed || !this.stats) return;
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
      this.share.publish({ cluster: this.clusterName, host: host.key, failed: host.activeHealthFailed });
      this.onChange(host, !host.activeHealthFailed);
    }
    const interval = host.activeHealthFailed ? c.unhealthyIntervalMs : c.intervalMs;
    state.timer = setTimeout(onTimer, interval + this.random() * c.intervalJitterMs, this, host).unref();
  }

  private updateGauge(): void {
    if (!this.stats) return;
    let healthy = 0;
    for (const host of this.states.keys()) if (!host.activeHealthFailed) healthy++;
    this.stats.healthy.set(healthy);
  }

  destroy(): void {
    this.destroyed = true;
    this.share.unregister(this.clusterName, this);
    for (const state of this.states.values()) clearTimeout(state.timer);
    this.states.clear();
  }
}
