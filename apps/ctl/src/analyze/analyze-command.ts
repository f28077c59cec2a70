import { Command, InvalidArgumentError, Option } from 'commander';
import type { Output } from '../local/local-command.ts';
import { analyze } from './analyze.ts';
import { formatMessages, type Format } from './format-messages.ts';
import { loadFiles } from './load-files.ts';

/** istioctl's exit code when analysis finds an error. */
export const analysisErrorExitCode = 79;

interface AnalyzeFlags {
  filename: string[];
  allNamespaces?: boolean;
  namespace: string;
  output: Format;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function analyzeCommand(output: Output, setExitCode: (code: number) => void): Command {
  return new Command('analyze')
    .description('Analyze Istio and Kubernetes config files offline and report problems')
    .requiredOption('-f, --filename <path>', 'a YAML file, or a folder read recursively; repeatable', collect, [])
    .option('-A, --all-namespaces', 'report on every namespace, not only --namespace')
    .option('-n, --namespace <namespace>', 'the namespace to report on', 'default')
    .addOption(
      new Option('-o, --output <format>', 'text, json or yaml').choices(['text', 'json', 'yaml']).default('text'),
    )
    .addHelpText('after', `\nExit codes:\n  0  no errors found (warnings and infos may be printed)\n  1  a file or folder that cannot be read\n  2  a bad flag\n  ${analysisErrorExitCode}  the analyzers found errors\n`)
    .action(async (flags: AnalyzeFlags) => {
      if (flags.filename.length === 0) throw new InvalidArgumentError('give at least one -f FILE or folder');
      const loaded = await loadFiles(flags.filename);
      const namespace = flags.allNamespaces ? undefined : flags.namespace;
      const messages = analyze(loaded.objects, loaded.messages, namespace);
      const scope = namespace === undefined ? 'all namespaces' : `namespace: ${namespace}`;
      output.out(formatMessages(messages, flags.output, scope));
      if (messages.some((m) => m.level === 'Error')) {
        output.err(`Error: Analyzers found issues when analyzing ${scope}.\n`);
        setExitCode(analysisErrorExitCode);
      }
    });
}
