import { Command, CommanderError } from 'commander';
import { analyzeCommand } from './analyze/analyze-command.ts';
import { completeCommand } from './completion/complete-command.ts';
import { completionCommand } from './completion/completion-command.ts';
import { kubeInjectCommand } from './kube-inject/kube-inject-command.ts';
import { localCommand, type Output } from './local/local-command.ts';
import { proxyConfigCommand } from './proxy-config/proxy-config-command.ts';
import { proxyStatusCommand } from './proxy-status/proxy-status-command.ts';
import { versionCommand } from './version/version-command.ts';
import { experimentalCommand } from './x-command.ts';

/** The whole program: every command, writing to `output`, each one's exit code given to
 *  `setExitCode`. Completion and the tests walk this same tree. */
export function mizzenctlProgram(output: Output, setExitCode: (code: number) => void): Command {
  const program = new Command('mizzenctl')
    .description('The command line of Mizzen, after istioctl.')
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .exitOverride();
  program.addCommand(localCommand(output, setExitCode));
  program.addCommand(proxyConfigCommand(output));
  program.addCommand(analyzeCommand(output, setExitCode));
  program.addCommand(proxyStatusCommand(output));
  program.addCommand(kubeInjectCommand(output));
  program.addCommand(experimentalCommand(output));
  program.addCommand(versionCommand(output, setExitCode));
  program.addCommand(completionCommand(output));
  program.addCommand(completeCommand(output, setExitCode), { hidden: true });
  // Subcommands inherit neither the output nor the exit override from their parent.
  const configure = (command: Command): void => {
    command.configureOutput({ writeOut: output.out, writeErr: output.err }).exitOverride();
    command.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/** Parses the command line and runs the command; resolves to the exit code (2 for a bad flag,
 *  argument or command, as a user's mistake). */
export async function runCommandLine(argv: string[], output: Output): Promise<number> {
  let exitCode = 0;
  const program = mizzenctlProgram(output, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    output.err(`error: ${(error as Error).message}\n`);
    return 1;
  }
}
