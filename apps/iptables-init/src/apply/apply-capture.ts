import type { CaptureConfig } from '../config/capture-config.ts';
import { buildCaptureRules } from '../rules/capture-rules.ts';
import type { Rule } from '../rules/rule.ts';
import { buildRoutingCommands } from '../rules/routing-commands.ts';
import { IPV4_TOOLS, IPV6_TOOLS, restoreRules, ruleExists, run, saveRules, toolsAvailable, type FamilyTools } from './iptables.ts';
import { reconcileScript, standaloneBuiltinRules } from './reconcile.ts';
import { parseSave } from './saved-rules.ts';

/** Installs the capture rules, replacing any that an earlier run installed. Resolves to the
 *  scripts it applied, for the log. */
export async function applyCapture(config: CaptureConfig): Promise<string[]> {
  const rules = buildCaptureRules(config);
  const routing = buildRoutingCommands(config);
  const applied = [await reconcileFamily(IPV4_TOOLS, rules.ipv4, rules.ipv4)];
  if (config.ipv6) applied.push(await reconcileFamily(IPV6_TOOLS, rules.ipv6, rules.ipv6));
  for (const { argv, replaces } of [...routing.ipv4, ...routing.ipv6]) {
    // Remove every copy an earlier run left (the command fails once there is none).
    for (let i = 0; replaces && i < 100 && (await run(replaces[0], replaces.slice(1))).code === 0; i++);
    const result = await run(argv[0], argv.slice(1));
    if (result.code !== 0) throw new Error(`${argv.join(' ')} failed: ${result.stderr.trim()}`);
  }
  return applied;
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
async function reconcileFamily(tools: FamilyTools, desired: Rule[], known: Rule[], dryRun = false): Promise<string> {
  const current = parseSave(await saveRules(tools));
  const present: Rule[] = [];
  for (const rule of standaloneBuiltinRules(known)) if (await ruleExists(tools, rule)) present.push(rule);
  const script = reconcileScript(current, desired, present);
  if (script !== '' && !dryRun) await restoreRules(tools, script);
  return script === '' ? '' : `# ${tools.name}: ${tools.restore} --noflush\n${script}`;
}
