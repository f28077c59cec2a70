import type { StatEntry } from './stats-store.ts';

// Stats of the parts only the main thread runs (state, xDS updates): taken from it alone.
const MAIN_ONLY = ['server.', 'cluster_manager.', 'listener_manager.', 'http.rds.'];

/** One view over all workers: traffic stats are summed, control stats come from the main thread. */
export function mergeStats(main: StatEntry[], workers: StatEntry[][]): StatEntry[] {
  if (workers.length === 0) return main;
  const merged = new Map<string, StatEntry>();
  for (const e of main) merged.set(e.name, e);
  for (const entries of workers) {
    for (const e of entries) {
      if (MAIN_ONLY.some((p) => e.name.startsWith(p))) continue;
      const known = merged.get(e.name);
      merged.set(e.name, known ? { ...known, value: known.value + e.value } : e);
    }
  }
  return [...merged.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
