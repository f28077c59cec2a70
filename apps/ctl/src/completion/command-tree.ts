import type { Command, Option } from 'commander';

/** An option as completion sees it: its spellings, whether the next word is its value, and
 *  the values it allows. */
export interface CompletionOption {
  flags: string[];
  takesValue: boolean;
  choices: string[];
  description: string;
  /** The option's name without dashes, camel-cased (`namespace`, `stateDir`). */
  name: string;
}

/** A command as completion sees it: the names it answers to, and what may follow it. */
export interface CompletionNode {
  /** The primary names from the root down, without the program's: `['proxy-config', 'listeners']`. */
  path: string[];
  names: string[];
  description: string;
  options: CompletionOption[];
  /** The names of its positional arguments, in order: `['pod', 'url']`. */
  arguments: string[];
  children: CompletionNode[];
}

/** Walks a commander program into plain data, with what `--help` shows: visible commands
 *  (aliases included) and visible options (`--help` included). */
export function commandTree(program: Command): CompletionNode {
  return node(program, []);
}

function node(command: Command, path: string[]): CompletionNode {
  const help = command.createHelp();
  return {
    path,
    names: [command.name(), ...command.aliases()],
    description: command.summary() || command.description(),
    options: help.visibleOptions(command).map(option),
    arguments: command.registeredArguments.map((argument) => argument.name()),
    children: help.visibleCommands(command).map((child) => node(child, [...path, child.name()])),
  };
}

function option(o: Option): CompletionOption {
  return {
    flags: [o.long, o.short].filter((flag): flag is string => flag !== undefined),
    // An optional value (`--remote [bool]`) is given with `=`: the next word is not its value.
    takesValue: o.required,
    choices: o.argChoices ?? [],
    description: o.description,
    name: o.attributeName(),
  };
}

/** Every node of the tree, the root first. */
export function allNodes(root: CompletionNode): CompletionNode[] {
  return [root, ...root.children.flatMap(allNodes)];
}
