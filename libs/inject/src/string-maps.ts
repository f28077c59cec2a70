import { InjectionError } from './injection-error.ts';

/** Labels and annotations are maps of strings; a number or boolean there (an unquoted YAML
 *  value) is refused by name, as the API server would refuse it. */
export function checkStringMaps(metadata: { labels?: unknown; annotations?: unknown }, where: string, path: string): void {
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined || map === null) continue;
    if (typeof map !== 'object' || Array.isArray(map)) throw new InjectionError(`${where}: ${path}.${field}: must be a map of strings`);
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== 'string') throw new InjectionError(`${where}: ${path}.${field}.${key}: must be a string, got ${typeof value} ${JSON.stringify(value)} (quote it in YAML)`);
    }
  }
}
