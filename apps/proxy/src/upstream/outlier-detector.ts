import { LOCAL_ORIGIN_FAILURE, type Counter, type Gauge, type StatsStore } from '@mizzen/filters';
import type { OutlierDetection } from './cluster-config.ts';
import type { Host } from './upstream-host.ts';

interface OutlierStats {
  readonly ejectionsActive: Gauge;
  readonly ejectionsTotal: Counter;
  readonly ejections5xx: Counter;
  readonly ejectionsGateway: Counter;
  readonly ejectionsLocalOrigin: Counter;
  readonly ejectionsSuccessRate: Counter;
  readonly ejectionsLocalOriginSuccessRate: Counter;
  readonly ejectionsFailurePercentage: Counter;
  readonly ejectionsLocalOriginFailurePercentage: Counter;
  readonly detectedSuccessRate: Counter;
  readonly detectedFailurePercentage: Counter;
  readonly ejectionsOverflow: Counter;
}

/** One host's requests and failures over the last interval, in one of the two buckets. */
export interface HostSample {
  readonly host: Host;
  readonly requests: number;
  readonly failures: number;
}

/**
 * Envoy's success-rate outlier check: among hosts with at least `requestVolume` requests, when
 * there are at least `minimumHosts` of them, those whose success rate is below
 * mean - stdev * factor are outliers.
 */
export function successRateOutliers(samples: readonly HostSample[], minimumHosts: number, requestVolume: number, stdevFactor: number): Host[] {
  const valid = samples.filter((s) => s.requests >= requestVolume && s.requests > 0);
  if (valid.length === 0 || valid.length < minimumHosts) return [];
  const rates = valid.map((s) => (100 * (s.requests - s.failures)) / s.requests);
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  const variance = rates.reduce((a, r) => a + (r - mean) ** 2, 0) / rates.length;
  const threshold = mean - Math.sqrt(variance) * stdevFactor;
  return valid.filter((_, i) => rates[i] < threshold).map((s) => s.host);
}

/** Envoy's failure-percentage check: hosts with enough requests failing at least `threshold` percent. */
export function failurePercentageOutliers(samples: readonly HostSample[], minimumHosts: number, requestVolume: number, threshold: number): Host[] {
  const valid = samples.filter((s) => s.requests >= requestVolume && s.requests > 0);
  if (valid.length === 0 || valid.length < minimumHosts) return [];
  return valid.filter((s) => (100 * s.failures) / s.requests >= threshold).map((s) => s.host);
}

function onInterval(detector: OutlierDetector): void {
  detector.onInterval();
}

/**
 * Envoy's outlier detection. Consecutive errors (5xx, gateway failures, local-origin failures)
 * eject a host as they happen; success rate and failure percentage are judged at each interval
 * over the requests of that interval. An ejected host is out of the load balancer for
 * base_ejection_time times its number of ejections (up to max_ejection_time), and comes back
 * at the first interval tick after that; max_ejection_percent caps how many are out at once.
 */
export class OutlierDetector {
  private readonly config: OutlierDetection;
  private readonly hosts: () => Iterable<Host>;
  private readonly onChange: () => void;
  private readonly stats: OutlierStats;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(config: OutlierDetection, hosts: () => Iterable<Host>, onChange: () => void, stats: StatsStore, name: string,
    now = performance.now.bind(performance), random = Math.random) {
    this.config = config;
    this.hosts = hosts;
    this.onChange = onChange;
    this.now = now;
    this.random = random;
    const p = `cluster.${name}.outlier_detection.`;
    this.stats = {
      ejectionsActive: stats.gauge(`${p}ejections_active`),
      ejectionsTotal: stats.counter(`${p}ejections_enforced_total`),
      ejections5xx: stats.counter(`${p}ejections_enforced_consecutive_5xx`),
      ejectionsGateway: stats.counter(`${p}ejections_enforced_consecutive_gateway_failure`),
      ejectionsLocalOrigin: stats.counter(`${p}ejections_enforced_consecutive_local_origin_failure`),
      ejectionsSuccessRate: stats.counter(`${p}ejections_enforced_success_rate`),
      ejectionsLocalOriginSuccessRate: stats.counter(`${p}ejections_enforced_local_origin_success_rate`),
      ejectionsFailurePercentage: stats.counter(`${p}ejections_enforced_failure_percentage`),
      ejectionsLocalOriginFailurePercentage: stats.counter(`${p}ejections_enforced_local_origin_failure_percentage`),
      detectedSuccessRate: stats.counter(`${p}ejections_detected_success_rate`),
      detectedFailurePercentage: stats.counter(`${p}ejections_detected_failure_percentage`),
      ejectionsOverflow: stats.counter(`${p}ejections_overflow`),
    };
    this.timer = setInterval(onInterval, config.intervalMs, this);
    this.timer.unref();
  }

  /** How a request to `host` ended: an HTTP status, or LOCAL_ORIGIN_FAILURE. */
  report(host: Host, status: number): void {
    const c = this.config;
    const local = status === LOCAL_ORIGIN_FAILURE;
    if (c.splitLocalOrigin) {
      // A response means the connection worked: a local-origin success.
      host.intervalLocalRequests++;
      if (local) {
        host.intervalLocalFailures++;
        if (++host.consecutiveLocalOrigin >= c.consecutiveLocalOriginFailure && c.consecutiveLocalOriginFailure > 0) {
          host.consecutiveLocalOrigin = 0;
          this.eject(host, c.enforcingLocalOriginFailure, this.stats.ejectionsLocalOrigin);
        }
        return;
      }
    }
    // Unsplit, a failure with no response counts as the 503 the proxy answers for it.
    const code = local ? 503 : status;
    if (!local) host.consecutiveLocalOrigin = 0;
    host.intervalRequests++;
    if (code < 500) {
      host.consecutive5xx = 0;
      host.consecutiveGateway = 0;
      return;
    }
    host.intervalFailures++;
    host.consecutive5xx++;
    if (code === 502 || code === 503 || code === 504) host.consecutiveGateway++;
    else host.consecutiveGateway = 0;
    if (c.consecutiveGatewayFailure > 0 && host.consecutiveGateway >= c.consecutiveGatewayFailure) {
      host.consecutiveGateway = 0;
      if (this.eject(host, c.enforcingGatewayFailure, this.stats.ejectionsGateway)) host.consecutive5xx = 0;
    }
    if (c.consecutive5xx > 0 && host.consecutive5xx >= c.consecutive5xx) {
      host.consecutive5xx = 0;
      host.consecutiveGateway = 0;
      this.eject(host, c.enforcing5xx, this.stats.ejections5xx);
    }
  }

  private eject(host: Host, enforcing: number, counter: Counter): boolean {
    if (host.ejectedUntil > 0 || this.random() * 100 >= enforcing) return false;
    let total = 0;
    let ejected = 0;
    for (const h of this.hosts()) {
      total++;
      if (h.ejectedUntil > 0) ejected++;
    }
    // max_ejection_percent caps how many are out at once, but one host may always go.
    if (ejected > 0 && ((ejected + 1) * 100) / total > this.config.maxEjectionPercent) {
      this.stats.ejectionsOverflow.inc();
      return false;
    }
    host.ejections++;
    const c = this.config;
    host.ejectedUntil = this.now() + Math.min(c.baseEjectionMs * host.ejections, c.maxEjectionMs) + this.random() * c.ejectionJitterMs;
    counter.inc();
    this.stats.ejectionsTotal.inc();
    this.stats.ejectionsActive.inc();
    this.onChange();
    return true;
  }

  /** Brings a host back now (an active health check passed), when the config says so. */
  uneject(host: Host): void {
    if (host.ejectedUntil === 0 || !this.config.unejectOnHealthCheck) return;
    this.bringBack(host);
    this.onChange();
  }

  private bringBack(host: Host): void {
    host.ejectedUntil = 0;
    host.consecutive5xx = 0;
    host.consecutiveGateway = 0;
    host.consecutiveLocalOrigin = 0;
    this.stats.ejectionsActive.dec();
  }

  /** Brings back the hosts whose time is up (a host that stayed in for an interval has its
   *  ejection multiplier lowered, as in Envoy), then judges the interval's success rates and
   *  failure percentages and starts a new interval. */
  onInterval(): void {
    const now = this.now();
    let changed = false;
    const hosts = [...this.hosts()];
    for (const host of hosts) {
      if (host.ejectedUntil > 0) {
        if (now < host.ejectedUntil) continue;
        this.bringBack(host);
        changed = true;
      } else if (host.ejections > 0) host.ejections--;
    }
    if (changed) this.onChange();
    this.judgeInterval(hosts);
    for (const host of hosts) {
      host.intervalRequests = 0;
      host.intervalFailures = 0;
      host.intervalLocalRequests = 0;
      host.intervalLocalFailures = 0;
    }
  }

  private judgeInterval(hosts: Host[]): void {
    const c = this.config;
    const s = this.stats;
    const external = hosts.map((host) => ({ host, requests: host.intervalRequests, failures: host.intervalFailures }));
    for (const host of successRateOutliers(external, c.successRateMinimumHosts, c.successRateRequestVolume, c.successRateStdevFactor)) {
      s.detectedSuccessRate.inc();
      this.eject(host, c.enforcingSuccessRate, s.ejectionsSuccessRate);
    }
    for (const host of failurePercentageOutliers(external, c.failurePercentageMinimumHosts, c.failurePercentageRequestVolume, c.failurePercentageThreshold)) {
      s.detectedFailurePercentage.inc();
      this.eject(host, c.enforcingFailurePercentage, s.ejectionsFailurePercentage);
    }
    if (!c.splitLocalOrigin) return;
    const local = hosts.map((host) => ({ host, requests: host.intervalLocalRequests, failures: host.intervalLocalFailures }));
    for (const host of successRateOutliers(local, c.successRateMinimumHosts, c.successRateRequestVolume, c.successRateStdevFactor)) {
      this.eject(host, c.enforcingLocalOriginSuccessRate, s.ejectionsLocalOriginSuccessRate);
    }
    for (const host of failurePercentageOutliers(local, c.failurePercentageMinimumHosts, c.failurePercentageRequestVolume, c.failurePercentageThreshold)) {
      this.eject(host, c.enforcingLocalOriginFailurePercentage, s.ejectionsLocalOriginFailurePercentage);
    }
  }

  destroy(): void {
    clearInterval(this.timer);
    for (const host of this.hosts()) if (host.ejectedUntil > 0) this.stats.ejectionsActive.dec();
  }
}
