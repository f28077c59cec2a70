import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareDumps, formatComparison } from './config-diff.ts';

type Dump = { configs: Record<string, unknown>[] };
const istiodDump = JSON.parse(readFileSync(new URL('../proxy-config/testdata/istiod-dump.json', import.meta.url), 'utf8')) as Dump;

/** The proxy's side: istiod's dump as Envoy would hold it, with the changes a test makes. */
function proxyDump(change: (dump: Dump) => void): Dump {
  const dump = structuredClone(istiodDump);
  change(dump);
  return dump;
}

const section = (dump: Dump, type: string) => dump.configs.find((c) => c['@type'] === `type.googleapis.com/envoy.admin.v3.${type}`) as Record<string, unknown[]>;

describe('compareDumps', () => {
  it('matches when only versions, update times, order and static resources differ', () => {
    const proxy = proxyDump((dump) => {
      const clusters = section(dump, 'ClustersConfigDump') as Record<string, unknown>;
      clusters.version_info = '2026-01-01T00:00:00Z/99';
      (clusters.dynamic_active_clusters as Record<string, unknown>[]).reverse().forEach((entry) => (entry.last_updated = '2026-01-01T00:00:00Z'));
      clusters.static_clusters = [{ cluster: { name: 'prometheus_stats' } }];
    });
    const diffs = compareDumps(istiodDump, proxy);
    expect(diffs.map((d) => [d.title, d.matches])).toEqual([
      ['Clusters', true],
      ['Listeners', true],
      ['Routes', true],
    ]);
    expect(formatComparison(diffs)).toBe('Clusters Match\nListeners Match\nRoutes Match\n');
  });

  it("prints a unified diff of a section that does not match", () => {
    const proxy = proxyDump((dump) => {
      const entries = section(dump, 'ListenersConfigDump').dynamic_listeners as { active_state: { listener: { name: string } } }[];
      entries.splice(entries.findIndex((e) => e.active_state.listener.name === '10.96.0.13_27017'), 1);
    });
    const printed = formatComparison(compareDumps(istiodDump, proxy));
    expect(printed).toMatch(/^Clusters Match\n--- Istiod Listeners\n\+\+\+ Envoy Listeners\n@@ /);
    expect(printed).toContain('-    "name": "10.96.0.13_27017",');
    expect(printed).not.toMatch(/^\+(?!\+\+ Envoy)/m); // removed only
    expect(printed).toMatch(/Listeners Don't Match\nRoutes Match\n$/);
  });

  it('names a dump without the shape of one', () => {
    expect(() => compareDumps({ configs: {} }, istiodDump)).toThrow('istiod config dump: expected an object with a "configs" list');
    const broken = proxyDump((dump) => (section(dump, 'RoutesConfigDump').dynamic_route_configs = 'x' as unknown as unknown[]));
    expect(() => compareDumps(istiodDump, broken)).toThrow('proxy config dump: RoutesConfigDump.dynamic_route_configs: expected a list');
  });
});
