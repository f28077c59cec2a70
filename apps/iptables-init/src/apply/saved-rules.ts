/** The rules of one table as iptables-save prints them. */
export interface SavedTable {
  chains: string[];
  /** Each rule's chain and the rest of its line (the rule spec, in iptables' own words). */
  rules: { chain: string; spec: string }[];
}

/** Reads iptables-save output into tables; anything else in it is ignored. */
export function parseSave(text: string): Map<string, SavedTable> {
  const tables = new Map<string, SavedTable>();
  let current: SavedTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      current = { chains: [], rules: [] };
      tables.set(line.slice(1).trim(), current);
    } else if (line.startsWith(':') && current) {
      current.chains.push(line.slice(1).split(' ')[0]);
    } else if (line.startsWith('-A ') && current) {
      const [, chain, ...spec] = line.split(' ');
      current.rules.push({ chain, spec: spec.join(' ') });
    }
  }
  return tables;
}

/** The blocks of `tables` in iptables-save output, as iptables-restore input: restoring them
 *  without --noflush puts exactly those tables back and leaves the others alone. */
export function selectTables(text: string, tables: Set<string>): string {
  let keep = false;
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) keep = tables.has(line.slice(1).trim());
    if (keep && !line.startsWith('#')) lines.push(line);
    if (line === 'COMMIT') keep = false;
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
