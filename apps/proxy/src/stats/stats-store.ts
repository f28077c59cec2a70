import type { Counter, Gauge, StatsStore } from '@mizzen/filters';

class PlainCounter implements Counter {
  value = 0;
  inc(): void {
    this.value++;
  }
  add(n: number): void {
    this.value += n;
  }
}

class PlainGauge implements Gauge {
  value = 0;
  inc(): void {
    this.value++;
  }
  dec(): void {
    this.value--;
  }
  set(value: number): void {
    this.value = value;
  }
}

export interface StatEntry {
  readonly name: string;
  readonly value: number;
  readonly kind: 'counter' | 'gauge';
}

/** The proxy's counters and gauges, by Envoy's full stat names. A name always maps to the same
 *  object, so a replaced listener or cluster keeps counting where the old one stopped. */
export class Stats implements StatsStore {
  readonly counters = new Map<string, PlainCounter>();
  readonly gauges = new Map<string, PlainGauge>();

  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new PlainCounter()));
    return c;
  }

  gauge(name: string): Gauge {
    let g = this.gauges.get(name);
    if (!g) this.gauges.set(name, (g = new PlainGauge()));
    return g;
  }

  /** Every stat with its value, sorted by name. */
  entries(): StatEntry[] {
    const all = [
      ...[...this.counters].map(([name, c]) => ({ name, value: c.value, kind: 'counter' as const })),
      ...[...this.gauges].map(([name, g]) => ({ name, value: g.value, kind: 'gauge' as const })),
    ];
    return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
