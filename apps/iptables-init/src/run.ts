import { applyCapture, cleanCapture } from './apply/apply-capture.ts';
import type { Invocation } from './cli/command-line.ts';
import { buildCaptureRules } from './rules/capture-rules.ts';
import { formatPlan } from './rules/restore-format.ts';
import { buildRoutingCommands } from './rules/routing-commands.ts';
import { validateCapture } from './validation/validate-capture.ts';

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
    } else {
      process.stdout.write((await applyCapture(config)).join(''));
    }
    if (invocation.validation) {
      const { probePort, timeoutMs } = invocation.validation;
      // As the proxy's first user and group, whose loopback traffic the rules redirect to the
      // inbound capture port; IPv6 too when its rules were written.
      for (const family of config.ipv6 ? ([4, 6] as const) : ([4] as const)) {
        const dialled = await validateCapture({ family, listenPort: config.inboundCapturePort, probePort, timeoutMs, uid: Number(config.proxyUids[0]), gid: Number(config.proxyGids[0]) });
        process.stdout.write(`# validation: a connection to ${dialled} reached port ${config.inboundCapturePort} with its original destination\n`);
      }
    }
    return 0;
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
}
