import { Command } from 'commander';
import type { Output } from '../local/local-command.ts';
import { bashCompletion } from './bash-completion.ts';
import { commandTree } from './command-tree.ts';
import { fishCompletion } from './fish-completion.ts';
import { zshCompletion } from './zsh-completion.ts';

const generators = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };
type Shell = keyof typeof generators;

/** `mizzenctl completion bash|zsh|fish`: a completion script made from the program's own
 *  command tree, so that it always knows the commands and options this build has. */
export function completionCommand(output: Output): Command {
  return new Command('completion')
    .description('A shell completion script for bash, zsh or fish')
    .addArgument(new Command().createArgument('<shell>', 'bash, zsh or fish').choices(Object.keys(generators)))
    .addHelpText(
      'after',
      `
Examples:
  source <(mizzenctl completion bash)                                 # bash, this shell
  mizzenctl completion zsh > "\${fpath[1]}/_mizzenctl"                 # zsh, from the next shell
  mizzenctl completion fish > ~/.config/fish/completions/mizzenctl.fish

Exit codes:
  0  the script was printed
  2  an unknown shell or a bad flag
`,
    )
    .action((shell: Shell, _flags: object, command: Command) => {
      const program = command.parent ?? command;
      output.out(generators[shell](program.name(), commandTree(program)));
    });
}

