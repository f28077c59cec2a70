import type { StatEntry } from './stats-store.ts';

/** Envoy's /stats text: one "name: value" line per stat. */
export function formatStatsText(entries: StatEntry[], filter?: RegExp): string {
  let out = '';
  for (const { name, value } of entries) if (!filter || filter.test(name)) out += `${name}: ${value}\n`;
  return out;
}

// Envoy pulls these names out of a stat into Prometheus labels (a subset of its tag extractors).
const TAGS: { prefix: string; label: string }[] = [
  { prefix: 'cluster.', label: 'envoy_cluster_name' },
  { prefix: 'http.', label: 'envoy_http_conn_manager_prefix' },
  { prefix: 'tcp.', label: 'envoy_tcp_prefix' },
  { prefix: 'listener.', label: 'envoy_listener_address' },
];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** Splits "cluster.outbound|80||a.b.svc.cluster.local.upstream_rq_total" into a metric and a label.
 *  The tagged segment may itself contain dots, so the metric is the last dotted part. */
function toPrometheus(name: string): { metric: string; labels: string } {
  for (const tag of TAGS) {
    if (!name.startsWith(tag.prefix)) continue;
    const rest = name.slice(tag.prefix.length);
    const dot = rest.lastIndexOf('.');
    if (dot <= 0) break;
    const value = rest.slice(0, dot);
    const stat = rest.slice(dot + 1);
    return { metric: `envoy_${sanitize(tag.prefix.slice(0, -1))}_${sanitize(stat)}`, labels: `{${tag.label}="${escapeLabel(value)}"}` };
  }
  return { metric: `envoy_${sanitize(name)}`, labels: '' };
}

/** Prometheus text exposition (version 0.0.4), Envoy's metric names. */
export function formatPrometheus(entries: StatEntry[]): string {
  const families = new Map<string, { kind: string; lines: string[] }>();
  for (const { name, value, kind } of entries) {
    const { metric, labels } = toPrometheus(name);
    let family = families.get(metric);
    if (!family) families.set(metric, (family = { kind, lines: [] }));
    family.lines.push(`${metric}${labels} ${value}`);
  }
  let out = '';
  for (const [metric, family] of [...families].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    out += `# TYPE ${metric} ${family.kind}\n${family.lines.join('\n')}\n`;
  }
  return out;
}
