import { isOwnChain, ruleTarget, type Rule } from './rule.ts';
import type { RoutingCommand } from './routing-commands.ts';

export const TABLE_ORDER = ['mangle', 'nat', 'raw', 'filter', 'security'];

export function sortTables(tables: Iterable<string>): string[] {
  const rank = (t: string) => (TABLE_ORDER.includes(t) ? TABLE_ORDER.indexOf(t) : TABLE_ORDER.length);
  return [...new Set(tables)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** One rule as an iptables-restore line. */
export function formatRule(rule: Rule): string {
  const head = rule.insertAt === undefined ? `-A ${rule.chain}` : `-I ${rule.chain} ${rule.insertAt}`;
  return [head, ...rule.args].join(' ');
}

/** Mizzen's chains that the rules of one table use, in order of first use. */
export function ownChains(rules: Rule[]): string[] {
  const chains = new Set<string>();
  for (const rule of rules) {
    if (isOwnChain(rule.chain)) chains.add(rule.chain);
    const target = ruleTarget(rule.args);
    if (target && isOwnChain(target)) chains.add(target);
  }
  return [...chains];
}

/** Rules in iptables-restore format: per table, our chains declared, then the rules, in order. */
export function formatRestore(rules: Rule[]): string {
  let text = '';
  for (const table of sortTables(rules.map((r) => r.table))) {
    const inTable = rules.filter((r) => r.table === table);
    text += `*${table}\n`;
    for (const chain of ownChains(inTable)) text += `:${chain} - [0:0]\n`;
    for (const rule of inTable) text += `${formatRule(rule)}\n`;
    text += 'COMMIT\n';
  }
  return text;
}

/** What --dry-run prints: each family's iptables-restore input, then the routing commands. */
export function formatPlan(rules: { ipv4: Rule[]; ipv6: Rule[] }, routing: { ipv4: RoutingCommand[]; ipv6: RoutingCommand[] }): string {
  let text = '# IPv4: iptables-restore --noflush\n' + formatRestore(rules.ipv4);
  if (rules.ipv6.length > 0) text += '# IPv6: ip6tables-restore --noflush\n' + formatRestore(rules.ipv6);
  for (const command of [...routing.ipv4, ...routing.ipv6]) text += `# ${command.argv.join(' ')}\n`;
  return text;
}
