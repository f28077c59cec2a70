// Istio's control plane metrics, under Istio's names, so that dashboards and alerts written for
// istiod read Mizzen's too. Counters and histograms are fed by the discovery server as it
// works; gauges are read from it when scraped.
import type { ConfigStore } from '@mizzen/config';
import type { DiscoveryObserver, DiscoveryServer } from '../xds/discovery-server.ts';
import { MetricRegistry } from './metric-registry.ts';

// Istio's bucket bounds, in seconds.
const pushTimeBuckets = [0.01, 0.1, 1, 3, 5, 10, 20, 30];
const convergenceBuckets = [0.1, 0.5, 1, 3, 5, 10, 20, 30];

export class PilotMetrics implements DiscoveryObserver {
  readonly registry = new MetricRegistry();
  #discovery: DiscoveryServer | undefined;
  /** When the first config change not yet pushed happened (performance.now()). */
  #changedAt: number | undefined;
  readonly #unsubscribe: () => void;
  readonly #pushes = this.registry.counter('pilot_xds_pushes', 'Pilot build and send count for lds, rds, cds and eds.');
  readonly #pushTime = this.registry.histogram('pilot_xds_push_time', 'Total time in seconds Pilot takes to build and send lds, rds, cds and eds.', pushTimeBuckets);
  readonly #rejects = this.registry.counter('pilot_total_xds_rejects', 'Total number of xDS responses from pilot rejected by proxy.');
  readonly #convergence = this.registry.histogram('pilot_proxy_convergence_time', 'Delay in seconds between a config change and every connected proxy being sent it.', convergenceBuckets);

  constructor(store: ConfigStore) {
    this.registry.gauge('pilot_xds', 'Number of endpoints connected to this pilot using xDS.', () => [{ value: this.#discovery?.connections.size ?? 0 }]);
    this.registry.gauge('pilot_services', 'Total services known to pilot.', () => [{ value: this.#discovery?.pushContext.registry.services.length ?? 0 }]);
    this.registry.gauge('pilot_virt_services', 'Total virtual services known to pilot.', () => [{ value: this.#discovery?.pushContext.virtualServices.length ?? 0 }]);
    // The clock of a push starts at the first change of a burst, before the debounce.
    this.#unsubscribe = store.subscribe(() => {
      this.#changedAt ??= performance.now();
    });
  }

  /** The discovery server whose connections and push context the gauges read. */
  attach(discovery: DiscoveryServer): void {
    this.#discovery = discovery;
  }

  close(): void {
    this.#unsubscribe();
  }

  pushed(type: string, seconds: number): void {
    const labels = { type: type.toLowerCase() };
    this.#pushes.inc(labels);
    this.#pushTime.observe(seconds, labels);
  }

  rejected(type: string): void {
    this.#rejects.inc({ type: type.toLowerCase() });
  }

  configPushed(): void {
    if (this.#changedAt === undefined) return;
    this.#convergence.observe((performance.now() - this.#changedAt) / 1000);
    this.#changedAt = undefined;
  }
}
