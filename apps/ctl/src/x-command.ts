import { Command } from 'commander';
import { describeCommand } from './describe/describe-command.ts';
import { explainCommand } from './explain/explain-command.ts';
import type { Output } from './local/local-command.ts';

/** `mizzenctl x`: istioctl's experimental commands. */
export function experimentalCommand(output: Output): Command {
  return new Command('x').alias('experimental').description('Experimental commands: describe, explain').addCommand(describeCommand(output)).addCommand(explainCommand(output));
}
