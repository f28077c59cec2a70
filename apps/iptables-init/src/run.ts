import { applyCapture, cleanCapture } from './apply/apply-capture.ts';
import type { Invocation } from './cli/command-line.ts';
import { buildCaptureRules } from './rules/capture-rules.ts';
import { formatPlan } from './rules/restore-format.ts';
import { buildRoutingCommands } from './rules/routing-commands.ts';

/** Carries out a checked invocation: print, apply or clean. Resolves to the exit code. */
export async function execute(invocation: Invocation): Promise<number> {
  const { config } = invocation;
  try {
    if (invocation.command === 'clean') {
      const scripts = await cleanCapture(config, invocation.dryRun);
      process.stdout.write(scripts.join('') || '# nothing to clean\n');
      return 0;
    }
    if (invocation.dryRun) {
      process.stdout.write(formatPlan(buildCaptureRules(config), buildRoutingCommands(config)));
      return 0;
    }
    if (invocation.skipRuleApply) {
      process.stdout.write('# --skip-rule-apply: flags checked, nothing applied\n');
      return 0;
    }
    const scripts = await applyCapture(config);
    process.stdout.write(scripts.join(''));
    return 0;
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
}
