/** One of the agent's own metrics; values are kept per label set. */
interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, number>;
}

/** The agent's own metrics, named as Istio's agent names them, in Prometheus text format. */
export class AgentMetrics {
  readonly #metrics = new Map<string, Metric>();

  /** Adds to a counter; labels become `{key="value"}`. */
  increment(name: string, help: string, labels: Record<string, string> = {}, by = 1): void {
    const metric = this.#metric(name, help, 'counter');
    const key = labelText(labels);
    metric.values.set(key, (metric.values.get(key) ?? 0) + by);
  }

  set(name: string, help: string, value: number, labels: Record<string, string> = {}): void {
    this.#metric(name, help, 'gauge').values.set(labelText(labels), value);
  }

  /** The current value (0 when never set), for tests and logs. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.#metrics.get(name)?.values.get(labelText(labels)) ?? 0;
  }

  /** Prometheus text exposition (version 0.0.4). */
  format(): string {
    let out = '';
    for (const metric of this.#metrics.values()) {
      out += `# HELP ${metric.name} ${metric.help}\n# TYPE ${metric.name} ${metric.type}\n`;
      for (const [labels, value] of metric.values) out += `${metric.name}${labels} ${value}\n`;
    }
    return out;
  }

  #metric(name: string, help: string, type: Metric['type']): Metric {
    let metric = this.#metrics.get(name);
    if (!metric) {
      metric = { name, help, type, values: new Map() };
      this.#metrics.set(name, metric);
    }
    return metric;
  }
}

function labelText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}
