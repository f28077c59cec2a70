import type { CaptureConfig } from '../config/capture-config.ts';
import { buildCaptureRules } from '../rules/capture-rules.ts';
import type { Rule } from '../rules/rule.ts';
import { buildRoutingCommands } from '../rules/routing-commands.ts';
import { IPV4_TOOLS, IPV6_TOOLS, restoreRules, ruleExists, run, saveRules, toolsAvailable, type FamilyTools } from './iptables.ts';
import { reconcileScript, standaloneBuiltinRules } from './reconcile.ts';
import { parseSave, selectTables } from './saved-rules.ts';

/** The iptables tools of each family; tests swap in failing ones. */
export interface CaptureTools {
  ipv4: FamilyTools;
  ipv6: FamilyTools;
}

/** What one family's tables held before this run changed them. */
interface TableSnapshot {
  tools: FamilyTools;
  restoreInput: string;
}

/** Installs the capture rules, replacing any that an earlier run installed. Resolves to the
 *  scripts it applied, for the log. All or nothing: when a step fails (one family's restore,
 *  a routing command), every table already changed is put back as it was, the routing commands
 *  already run are undone, and the error says so. */
export async function applyCapture(config: CaptureConfig, tools: CaptureTools = { ipv4: IPV4_TOOLS, ipv6: IPV6_TOOLS }): Promise<string[]> {
  const rules = buildCaptureRules(config);
  const routing = buildRoutingCommands(config);
  const snapshots: TableSnapshot[] = [];
  const undos: string[][] = [];
  try {
    const applied = [await reconcileFamily(tools.ipv4, rules.ipv4, rules.ipv4, false, snapshots)];
    if (config.ipv6) applied.push(await reconcileFamily(tools.ipv6, rules.ipv6, rules.ipv6, false, snapshots));
    for (const { argv, replaces, undo } of [...routing.ipv4, ...routing.ipv6]) {
      // Remove every copy an earlier run left (the command fails once there is none).
      for (let i = 0; replaces && i < 100 && (await run(replaces[0], replaces.slice(1))).code === 0; i++);
      const result = await run(argv[0], argv.slice(1));
      if (result.code !== 0) throw new Error(`${argv.join(' ')} failed: ${result.stderr.trim()}`);
      if (undo) undos.unshift(undo);
    }
    return applied;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await rollBack(snapshots, undos)}`);
  }
}

/** Puts the snapshots back (newest first) and runs the undo commands; says how that went. */
async function rollBack(snapshots: TableSnapshot[], undos: string[][]): Promise<string> {
  const problems: string[] = [];
  for (const undo of undos) {
    const result = await run(undo[0], undo.slice(1));
    if (result.code !== 0) problems.push(`${undo.join(' ')}: ${result.stderr.trim()}`);
  }
  for (const { tools, restoreInput } of [...snapshots].reverse()) {
    const result = await run(tools.restore, [], restoreInput);
    if (result.code !== 0) problems.push(`${tools.restore}: ${result.stderr.trim()}`);
  }
  if (problems.length > 0) return `rolling back failed, the rules may be half installed:\n${problems.join('\n')}`;
  return snapshots.length > 0 ? 'the tables were put back as they were' : 'no rule was changed';
}

/** Removes every chain of ours and every jump to one, and the rules these flags put in
 *  built-in chains; with dryRun, only says what it would run. */
export async function cleanCapture(config: CaptureConfig, dryRun = false): Promise<string[]> {
  // Clean both families whatever the pod's addresses are now: an earlier run may have used both.
  const rules = buildCaptureRules({ ...config, ipv6: true });
  const scripts = [await reconcileFamily(IPV4_TOOLS, [], rules.ipv4, dryRun)];
  if (await toolsAvailable(IPV6_TOOLS)) scripts.push(await reconcileFamily(IPV6_TOOLS, [], rules.ipv6, dryRun));
  if (config.inboundInterceptionMode === 'TPROXY' && !dryRun) {
    // Best effort: the routes may never have been installed.
    for (const flag of ['-4', '-6']) {
      await run('ip', [flag, 'rule', 'del', 'fwmark', String(config.tproxyMark), 'lookup', String(config.tproxyRouteTable)]);
      await run('ip', [flag, 'route', 'flush', 'table', String(config.tproxyRouteTable)]);
    }
  }
  return scripts;
}

/** Brings one family from its current rules to `desired`; `known` are the rules whose
 *  standalone built-in entries count as ours. */
async function reconcileFamily(tools: FamilyTools, desired: Rule[], known: Rule[], dryRun = false, snapshots: TableSnapshot[] = []): Promise<string> {
  const saved = await saveRules(tools);
  const current = parseSave(saved);
  const present: Rule[] = [];
  for (const rule of standaloneBuiltinRules(known)) if (await ruleExists(tools, rule)) present.push(rule);
  const script = reconcileScript(current, desired, present);
  if (script !== '' && !dryRun) {
    // Taken before restoring: a failed restore may have committed some tables already.
    const touched = new Set([...script.matchAll(/^\*(\S+)$/gm)].map((m) => m[1]));
    snapshots.push({ tools, restoreInput: emptyTablesToo(selectTables(saved, touched), touched) });
    await restoreRules(tools, script);
  }
  return script === '' ? '' : `# ${tools.name}: ${tools.restore} --noflush\n${script}`;
}

/** A table the save did not list (never used before) is restored empty, so that rolling back
 *  removes what this run put in it. */
function emptyTablesToo(restoreInput: string, tables: Set<string>): string {
  const listed = new Set([...restoreInput.matchAll(/^\*(\S+)$/gm)].map((m) => m[1]));
  const missing = [...tables].filter((t) => !listed.has(t)).map((t) => `*${t}\nCOMMIT\n`);
  return restoreInput + missing.join('');
}
