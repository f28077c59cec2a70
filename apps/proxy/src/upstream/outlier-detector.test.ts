import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_ORIGIN_FAILURE } from '@mizzen/filters';
import { Stats } from '../stats/stats-store.ts';
import { compileCluster, type OutlierDetection } from './cluster-config.ts';
import { failurePercentageOutliers, OutlierDetector, successRateOutliers } from './outlier-detector.ts';
import { Host } from './upstream-host.ts';

function config(od: object): OutlierDetection {
  const cluster = compileCluster({ name: 'c', type: 'STATIC', outlier_detection: { interval: '3600s', ...od } });
  return cluster.outlierDetection as OutlierDetection;
}

const detectors: OutlierDetector[] = [];
afterEach(() => {
  for (const d of detectors.splice(0)) d.destroy();
});

/** A detector over `count` hosts with a clock the test moves. */
function setup(od: object, count: number) {
  const hosts = Array.from({ length: count }, (_, i) => new Host(`10.0.0.${i + 1}`, 80));
  const clock = { now: 0 };
  const stats = new Stats();
  let changes = 0;
  const detector = new OutlierDetector(config(od), () => hosts, () => changes++, stats, 'c', () => clock.now, () => 0);
  detectors.push(detector);
  const send = (host: Host, status: number, times: number) => {
    for (let i = 0; i < times; i++) detector.report(host, status);
  };
  return { hosts, clock, detector, send, counter: (n: string) => stats.counter(`cluster.c.outlier_detection.${n}`).value, changes: () => changes };
}

describe('success rate and failure percentage', () => {
  it('finds hosts below mean - 1.9 stdev among hosts with enough requests', () => {
    const sample = (rate: number, requests = 100) => ({ host: new Host(`h${rate}`, 1), requests, failures: requests - (rate * requests) / 100 });
    const samples = [sample(100), sample(100), sample(100), sample(100), sample(50)];
    // mean 90, stdev 20: the threshold is 52.
    expect(successRateOutliers(samples, 5, 100, 1.9)).toEqual([samples[4].host]);
    expect(successRateOutliers(samples, 6, 100, 1.9)).toEqual([]);
    expect(successRateOutliers([...samples.slice(0, 4), sample(50, 99)], 5, 100, 1.9)).toEqual([]);
    expect(failurePercentageOutliers(samples, 5, 50, 50)).toEqual([samples[4].host]);
    expect(failurePercentageOutliers(samples, 5, 50, 51)).toEqual([]);
  });

  it('ejects the host with the low success rate at the interval', () => {
    const { hosts, send, detector, counter } = setup({ success_rate_minimum_hosts: 3, success_rate_request_volume: 10, consecutive_5xx: 0 }, 6);
    for (const h of hosts.slice(0, 5)) send(h, 200, 20);
    send(hosts[5], 200, 10);
    send(hosts[5], 503, 10);
    detector.onInterval();
    // Rates 100 x5 and 50: mean 91.7, stdev 18.6, threshold 56.3.
    expect(hosts.map((h) => h.ejectedUntil > 0)).toEqual([false, false, false, false, false, true]);
    expect(counter('ejections_enforced_success_rate')).toBe(1);
    expect(counter('ejections_detected_success_rate')).toBe(1);
    // The next interval starts from zero: no more evidence, no more ejections.
    detector.onInterval();
    expect(counter('ejections_detected_success_rate')).toBe(1);
  });

  it('ejects by failure percentage only when enforced (Envoy enforces it at 0% by default)', () => {
    const od = { failure_percentage_minimum_hosts: 2, failure_percentage_request_volume: 10, failure_percentage_threshold: 60, consecutive_5xx: 0, enforcing_success_rate: 0 };
    const off = setup(od, 2);
    off.send(off.hosts[0], 500, 10);
    off.send(off.hosts[1], 200, 10);
    off.detector.onInterval();
    expect(off.counter('ejections_detected_failure_percentage')).toBe(1);
    expect(off.hosts[0].ejectedUntil).toBe(0);
    const on = setup({ ...od, enforcing_failure_percentage: 100, max_ejection_percent: 50 }, 2);
    on.send(on.hosts[0], 500, 7);
    on.send(on.hosts[0], 200, 3);
    on.send(on.hosts[1], 200, 10);
    on.detector.onInterval();
    expect(on.hosts[0].ejectedUntil).toBeGreaterThan(0);
    expect(on.counter('ejections_enforced_failure_percentage')).toBe(1);
  });

  it('judges local-origin failures apart when split', () => {
    const { hosts, send, detector, counter } = setup({
      split_external_local_origin_errors: true, consecutive_local_origin_failure: 0, failure_percentage_minimum_hosts: 2, failure_percentage_request_volume: 10,
      enforcing_failure_percentage_local_origin: 100, enforcing_success_rate: 0, max_ejection_percent: 50,
    }, 2);
    send(hosts[0], LOCAL_ORIGIN_FAILURE, 10);
    send(hosts[1], 200, 10);
    detector.onInterval();
    expect(hosts[0].ejectedUntil).toBeGreaterThan(0);
    expect(counter('ejections_enforced_local_origin_failure_percentage')).toBe(1);
    expect(counter('ejections_enforced_failure_percentage')).toBe(0);
  });
});

describe('ejection', () => {
  it('lasts base_ejection_time times the number of ejections, up to max_ejection_time, and the multiplier decays', () => {
    const { hosts, clock, send, detector } = setup({ consecutive_5xx: 1, base_ejection_time: '10s', max_ejection_time: '25s', max_ejection_percent: 100 }, 2);
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      send(hosts[0], 500, 1);
      durations.push(hosts[0].ejectedUntil - clock.now);
      clock.now = hosts[0].ejectedUntil;
      detector.onInterval();
      expect(hosts[0].ejectedUntil).toBe(0);
    }
    expect(durations).toEqual([10_000, 20_000, 25_000]);
    // Each interval in good standing lowers the multiplier by one: 3 - 2 + 1.
    detector.onInterval();
    detector.onInterval();
    send(hosts[0], 500, 1);
    expect(hosts[0].ejectedUntil - clock.now).toBe(20_000);
  });

  it('keeps max_ejection_percent, always letting one host go', () => {
    const { hosts, send, counter } = setup({ consecutive_5xx: 1, max_ejection_percent: 30 }, 5);
    for (const h of hosts) send(h, 500, 1);
    expect(hosts.filter((h) => h.ejectedUntil > 0)).toHaveLength(1);
    expect(counter('ejections_overflow')).toBe(4);
  });

  it('ejects on consecutive gateway failures when enforced, not on other 5xx', () => {
    const { hosts, send, counter } = setup({ consecutive_5xx: 0, consecutive_gateway_failure: 3, enforcing_consecutive_gateway_failure: 100 }, 1);
    send(hosts[0], 500, 5);
    expect(hosts[0].ejectedUntil).toBe(0);
    send(hosts[0], 502, 2);
    send(hosts[0], 504, 1);
    expect(hosts[0].ejectedUntil).toBeGreaterThan(0);
    expect(counter('ejections_enforced_consecutive_gateway_failure')).toBe(1);
  });

  it('brings a host back when an active health check passes', () => {
    const { hosts, send, detector, changes } = setup({ consecutive_5xx: 1 }, 1);
    send(hosts[0], 500, 1);
    detector.uneject(hosts[0]);
    expect(hosts[0].ejectedUntil).toBe(0);
    expect(changes()).toBe(2);
  });

  it('names a bad field', () => {
    expect(() => config({ failure_percentage_threshold: 101 })).toThrow(/Cluster.outlier_detection.failure_percentage_threshold: must be between 0 and 100/);
  });
});
