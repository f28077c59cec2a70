/** A monotonically increasing count. Implementations are plain objects: `inc` allocates nothing. */
export interface Counter {
  inc(): void;
  add(n: number): void;
  readonly value: number;
}

export interface Gauge {
  inc(): void;
  dec(): void;
  set(value: number): void;
  readonly value: number;
}

/** Where filters get their counters, by Envoy's full stat name (`http.inbound_0.0.0.0_80.downstream_rq_total`).
 *  Filters look counters up once, when their config is built, never per request. */
export interface StatsStore {
  counter(name: string): Counter;
  gauge(name: string): Gauge;
}

/** Per-status-class counters (`..._1xx` to `..._5xx`) in one array, indexed by status / 100. */
export function statusClassCounters(stats: StatsStore, prefix: string): Counter[] {
  const counters: Counter[] = [];
  for (let i = 1; i <= 5; i++) counters[i] = stats.counter(`${prefix}_${i}xx`);
  return counters;
}
