import { LOCAL_ORIGIN_FAILURE, type Counter, type Gauge, type StatsStore } from '@mizzen/filters';
import type { OutlierDetection } from './cluster-config.ts';
import type { Host } from './upstream-host.ts';

interface OutlierStats {
  readonly ejectionsActive: Gauge;
  readonly ejectionsTotal: Counter;
  readonly ejections5xx: Counter;
  readonly ejectionsGateway: Counter;
  readonly ejectionsLocalOrigin: Counter;
  readonly ejectionsOverflow: Counter;
}

function onInterval(detector: OutlierDetector): void {
  detector.onInterval();
}

/**
 * Envoy's consecutive-error outlier detection: a host that answers too many 5xx (or gateway
 * errors, or fails locally) in a row is ejected from the load balancer for base_ejection_time
 * times its number of ejections, and comes back at the first interval tick after that.
 */
export class OutlierDetector {
  private readonly config: OutlierDetection;
  private readonly hosts: () => Iterable<Host>;
  private readonly onChange: () => void;
  private readonly stats: OutlierStats;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(config: OutlierDetection, hosts: () => Iterable<Host>, onChange: () => void, stats: StatsStore, name: string, now = performance.now.bind(performance)) {
    this.config = config;
    this.hosts = hosts;
    this.onChange = onChange;
    this.now = now;
    const p = `cluster.${name}.outlier_detection.`;
    this.stats = {
      ejectionsActive: stats.gauge(`${p}ejections_active`),
      ejectionsTotal: stats.counter(`${p}ejections_enforced_total`),
      ejections5xx: stats.counter(`${p}ejections_enforced_consecutive_5xx`),
      ejectionsGateway: stats.counter(`${p}ejections_enforced_consecutive_gateway_failure`),
      ejectionsLocalOrigin: stats.counter(`${p}ejections_enforced_consecutive_local_origin_failure`),
      ejectionsOverflow: stats.counter(`${p}ejections_overflow`),
    };
    this.timer = setInterval(onInterval, config.intervalMs, this);
    this.timer.unref();
  }

  /** How a request to `host` ended: an HTTP status, or LOCAL_ORIGIN_FAILURE. */
  report(host: Host, status: number): void {
    const c = this.config;
    if (status === LOCAL_ORIGIN_FAILURE && c.splitLocalOrigin) {
      if (++host.consecutiveLocalOrigin >= c.consecutiveLocalOriginFailure && c.consecutiveLocalOriginFailure > 0) {
        host.consecutiveLocalOrigin = 0;
        this.eject(host, c.enforcingLocalOriginFailure, this.stats.ejectionsLocalOrigin);
      }
      return;
    }
    // Unsplit, a failure with no response counts as the 503 the proxy answers for it.
    const code = status === LOCAL_ORIGIN_FAILURE ? 503 : status;
    if (status !== LOCAL_ORIGIN_FAILURE) host.consecutiveLocalOrigin = 0;
    if (code < 500) {
      host.consecutive5xx = 0;
      host.consecutiveGateway = 0;
      return;
    }
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
    if (host.ejectedUntil > 0 || Math.random() * 100 >= enforcing) return false;
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
    host.ejectedUntil = this.now() + Math.min(this.config.baseEjectionMs * host.ejections, this.config.maxEjectionMs);
    counter.inc();
    this.stats.ejectionsTotal.inc();
    this.stats.ejectionsActive.inc();
    this.onChange();
    return true;
  }

  /** Brings back the hosts whose time is up; a host that stayed in for an interval has its
   *  ejection multiplier lowered, as in Envoy. */
  onInterval(): void {
    const now = this.now();
    let changed = false;
    for (const host of this.hosts()) {
      if (host.ejectedUntil > 0) {
        if (now < host.ejectedUntil) continue;
        host.ejectedUntil = 0;
        host.consecutive5xx = 0;
        host.consecutiveGateway = 0;
        host.consecutiveLocalOrigin = 0;
        this.stats.ejectionsActive.dec();
        changed = true;
      } else if (host.ejections > 0) host.ejections--;
    }
    if (changed) this.onChange();
  }

  destroy(): void {
    clearInterval(this.timer);
    for (const host of this.hosts()) if (host.ejectedUntil > 0) this.stats.ejectionsActive.dec();
  }
}
