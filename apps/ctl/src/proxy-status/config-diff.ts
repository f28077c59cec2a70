import { arrayAt, dig, isObject, objectAt, textAt, type JsonObject } from '../proxy-config/json-reading.ts';
import { unifiedDiff } from './unified-diff.ts';

/** The sections proxy-status compares, with where a ConfigDump keeps their dynamic resources:
 *  istiod sends only dynamic ones, and the proxy's static ones come from its bootstrap. */
const sections = [
  { title: 'Clusters', type: 'ClustersConfigDump', list: 'dynamic_active_clusters', resource: ['cluster'] },
  { title: 'Listeners', type: 'ListenersConfigDump', list: 'dynamic_listeners', resource: ['active_state', 'listener'] },
  { title: 'Routes', type: 'RoutesConfigDump', list: 'dynamic_route_configs', resource: ['route_config'] },
];

/** Fields that change with every push or restart without changing the configuration. */
const volatileFields = new Set(['last_updated', 'version_info']);

export interface SectionDiff {
  title: string;
  matches: boolean;
  /** A unified diff from istiod's view to the proxy's; empty when they match. */
  diff: string;
}

/** Compares what istiod would send with what the proxy holds, section by section. */
export function compareDumps(istiodDump: unknown, proxyDump: unknown): SectionDiff[] {
  return sections.map((section) => {
    const expected = canonicalJson(dynamicResources(istiodDump, section, 'istiod config dump'));
    const actual = canonicalJson(dynamicResources(proxyDump, section, 'proxy config dump'));
    const diff = unifiedDiff(expected, actual, { from: `Istiod ${section.title}`, to: `Envoy ${section.title}` });
    return { title: section.title, matches: diff === '', diff };
  });
}

/** As istioctl prints it: "Clusters Match", or "Listeners Don't Match" after the diff. */
export function formatComparison(diffs: SectionDiff[]): string {
  return diffs.map((d) => (d.matches ? `${d.title} Match\n` : `${d.diff}${d.title} Don't Match\n`)).join('');
}

/** A section's dynamic resources, sorted by name so that order does not count as a change. */
function dynamicResources(dump: unknown, section: (typeof sections)[number], what: string): unknown[] {
  if (!isObject(dump) || !Array.isArray(dump.configs)) throw new Error(`${what}: expected an object with a "configs" list`);
  const config = dump.configs.find((c) => isObject(c) && c['@type'] === `type.googleapis.com/envoy.admin.v3.${section.type}`);
  if (config === undefined) return [];
  const entries = arrayAt(objectAt(config, `${what}: ${section.type}`)?.[section.list], `${what}: ${section.type}.${section.list}`);
  return entries
    .map((entry) => dig(entry, ...section.resource))
    .filter((resource) => resource !== undefined)
    .sort((a, b) => {
      const [x, y] = [textAt(dig(a, 'name')), textAt(dig(b, 'name'))];
      return x < y ? -1 : x > y ? 1 : 0;
    });
}

/** JSON with sorted keys and without volatile fields, two spaces deep, one value a line. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value), null, 2) + '\n';
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  const sorted: JsonObject = {};
  for (const key of Object.keys(value).sort()) {
    if (!volatileFields.has(key)) sorted[key] = canonical(value[key]);
  }
  return sorted;
}
