export type Table = 'mangle' | 'nat' | 'raw';

/** One rule: appended to its chain, or inserted at a 1-based position when `insertAt` is set. */
export interface Rule {
  table: Table;
  chain: string;
  args: string[];
  insertAt?: number;
}

/** The rules for both address families, in the order they are applied. */
export interface RuleSet {
  ipv4: Rule[];
  ipv6: Rule[];
}

/** Every chain Mizzen creates starts with this prefix (Istio's chain names). */
export const CHAIN_PREFIX = 'ISTIO_';

export const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** The chain a rule jumps or goes to, if any. */
export function ruleTarget(args: string[]): string | undefined {
  const at = args.findIndex((a) => a === '-j' || a === '-g');
  return at >= 0 ? args[at + 1] : undefined;
}

export function isOwnChain(chain: string): boolean {
  return chain.startsWith(CHAIN_PREFIX);
}
