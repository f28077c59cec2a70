import { formatRule, sortTables } from '../rules/restore-format.ts';
import { BUILTIN_CHAINS, isOwnChain, ruleTarget, type Rule } from '../rules/rule.ts';
import type { SavedTable } from './saved-rules.ts';

/** The iptables-restore --noflush input that turns the current rules into the desired ones,
 *  one transaction per table: jumps into our chains are removed, our chains flushed (and
 *  dropped when no longer wanted), then the desired rules added. `present` lists the desired
 *  (or formerly installed) rules in built-in chains that do not jump to our chains but already
 *  exist; they are removed first so that running twice installs them once. Pure; empty when
 *  there is nothing to do. */
export function reconcileScript(current: Map<string, SavedTable>, desired: Rule[], present: Rule[]): string {
  const tables = sortTables([...current.keys(), ...desired.map((r) => r.table)]);
  let script = '';
  for (const table of tables) {
    const saved = current.get(table) ?? { chains: [], rules: [] };
    const wanted = desired.filter((r) => r.table === table);
    const wantedChains = new Set(wanted.flatMap((r) => [r.chain, ruleTarget(r.args) ?? '']).filter(isOwnChain));
    const existingChains = saved.chains.filter(isOwnChain);
    const lines: string[] = [];
    for (const rule of saved.rules) {
      const target = ruleTarget(rule.spec.split(' '));
      if (!isOwnChain(rule.chain) && target && isOwnChain(target)) lines.push(`-D ${rule.chain} ${rule.spec}`);
    }
    for (const rule of present.filter((r) => r.table === table)) lines.push(`-D ${rule.chain} ${rule.args.join(' ')}`);
    for (const chain of existingChains) lines.push(`-F ${chain}`);
    for (const chain of existingChains) if (!wantedChains.has(chain)) lines.push(`-X ${chain}`);
    for (const chain of wantedChains) if (!existingChains.includes(chain)) lines.push(`-N ${chain}`);
    for (const rule of wanted) lines.push(formatRule(rule));
    if (lines.length > 0) script += `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
  }
  return script;
}

/** Rules in built-in chains that do not jump to our chains: the ones iptables-save cannot
 *  attribute to us, so they are looked up one by one. */
export function standaloneBuiltinRules(rules: Rule[]): Rule[] {
  return rules.filter((r) => BUILTIN_CHAINS.has(r.chain) && !isOwnChain(ruleTarget(r.args) ?? ''));
}
