// The three kinds of metric istiod exports: counters and histograms that the code updates, and
// gauges read when scraped. A metric with labels keeps one series per label combination.
import { formatFamilies, formatValue, type Labels, type MetricFamily, type Sample } from './prometheus-text.ts';

export class Counter {
  readonly name: string;
  readonly help: string;
  readonly #series = new Map<string, { labels: Labels; value: number }>();

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  inc(labels: Labels = {}, by = 1): void {
    const key = seriesKey(labels);
    const series = this.#series.get(key) ?? { labels, value: 0 };
    series.value += by;
    this.#series.set(key, series);
  }

  collect(): MetricFamily {
    return { name: this.name, help: this.help, type: 'counter', samples: [...this.#series.values()].map(({ labels, value }) => ({ name: this.name, labels, value })) };
  }
}

interface HistogramSeries {
  labels: Labels;
  /** Observations per bucket, not cumulative; the last counts those above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram {
  readonly name: string;
  readonly help: string;
  /** Upper bounds, ascending. */
  readonly buckets: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(value: number, labels: Labels = {}): void {
    const key = seriesKey(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, counts: new Array(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    const index = this.buckets.findIndex((bound) => value <= bound);
    series.counts[index === -1 ? this.buckets.length : index] += 1;
    series.sum += value;
    series.count += 1;
  }

  collect(): MetricFamily {
    const samples: Sample[] = [];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      // Buckets are cumulative in the exposition: each counts everything up to its bound.
      let cumulative = 0;
      [...this.buckets, Infinity].forEach((bound, i) => {
        cumulative += counts[i];
        samples.push({ name: `${this.name}_bucket`, labels: { ...labels, le: formatValue(bound) }, value: cumulative });
      });
      samples.push({ name: `${this.name}_sum`, labels, value: sum }, { name: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: 'histogram', samples };
  }
}

/** A gauge whose series are read from the running process when scraped. */
export class Gauge {
  readonly name: string;
  readonly help: string;
  readonly read: () => { labels?: Labels; value: number }[];

  constructor(name: string, help: string, read: () => { labels?: Labels; value: number }[]) {
    this.name = name;
    this.help = help;
    this.read = read;
  }

  collect(): MetricFamily {
    return { name: this.name, help: this.help, type: 'gauge', samples: this.read().map(({ labels = {}, value }) => ({ name: this.name, labels, value })) };
  }
}

type Metric = Counter | Histogram | Gauge;

export class MetricRegistry {
  readonly #metrics = new Map<string, Metric>();

  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  gauge(name: string, help: string, read: () => { labels?: Labels; value: number }[]): Gauge {
    return this.#add(new Gauge(name, help, read));
  }

  /** Everything in Prometheus' text format, metrics in the order they were registered. */
  text(): string {
    return formatFamilies([...this.#metrics.values()].map((metric) => metric.collect()));
  }

  #add<M extends Metric>(metric: M): M {
    if (this.#metrics.has(metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
