import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommandLine } from '../command-line.ts';
import { bashCompletion } from './bash-completion.ts';
import { commandTree } from './command-tree.ts';
import { fishCompletion } from './fish-completion.ts';
import { zshCompletion } from './zsh-completion.ts';

const run = promisify(execFile);

async function mizzenctl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mizzenctl-completion-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Sources the script in a bash of its own and completes `line` (the cursor at its end, a
 *  trailing space starting a new word), as bash would on a TAB: the replies, one a line. */
async function complete(script: string, line: string, program = 'mizzenctl'): Promise<string[]> {
  const file = join(dir, `${program}.bash`);
  await writeFile(file, script);
  const words = line.split(' ');
  const probe = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
    $(complete -p ${program} | sed -E 's/.* -F ([^ ]+) .*/\\1/') ${program} "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', probe, 'probe', file, program, ...words.slice(1)]);
  return stdout.split('\n').filter((reply) => reply !== '');
}

describe('mizzenctl completion bash', () => {
  let script = '';
  beforeAll(async () => {
    const result = await mizzenctl(['completion', 'bash']);
    expect(result).toMatchObject({ code: 0, err: '' });
    script = result.out;
  });

  it('registers a completion function for mizzenctl that falls back to file names', async () => {
    await writeFile(join(dir, 'registered.bash'), script);
    const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', 'source "$1" && complete -p mizzenctl', 'probe', join(dir, 'registered.bash')]);
    expect(stdout.trim()).toBe('complete -o default -F _mizzenctl mizzenctl');
  });

  it("offers the program's commands, with their aliases, from every command the tree has", async () => {
    const top = await complete(script, 'mizzenctl ');
    expect(top).toEqual(expect.arrayContaining(['local', 'proxy-config', 'pc', 'proxy-status', 'ps', 'analyze', 'kube-inject', 'x', 'experimental', 'version', 'completion', 'help']));
    expect(await complete(script, 'mizzenctl pro')).toEqual(['proxy-config', 'proxy-status']);
    expect(await complete(script, 'mizzenctl pc l')).toEqual(['listeners']);
    expect(await complete(script, 'mizzenctl x desc')).toEqual(['describe']);
    expect(await complete(script, 'mizzenctl local ')).toEqual(expect.arrayContaining(['up', 'down', 'status']));
  });

  it("offers a command's options after a dash, skipping option values on the way", async () => {
    expect(await complete(script, 'mizzenctl version --re')).toEqual(['--remote']);
    expect(await complete(script, 'mizzenctl pc clusters -n default --fq')).toEqual(['--fqdn']);
    // `routes` after `--fqdn` is the option's value, not a command: the path stays at clusters,
    // which has --namespace but not the --name of routes.
    expect(await complete(script, 'mizzenctl pc clusters --fqdn routes --na')).toEqual(['--namespace']);
    expect(await complete(script, 'mizzenctl pc routes --fqdn')).toEqual([]);
    expect(await complete(script, 'mizzenctl pc routes --na')).toEqual(['--namespace', '--name']);
    expect(await complete(script, 'mizzenctl ps --mesh local --state')).toEqual(['--state-dir']);
  });

  it("offers an option's allowed values, and nothing of its own for a free value", async () => {
    expect(await complete(script, 'mizzenctl version -o ')).toEqual(['json', 'yaml']);
    expect(await complete(script, 'mizzenctl version --output y')).toEqual(['yaml']);
    expect(await complete(script, 'mizzenctl analyze -o ')).toEqual(['text', 'json', 'yaml']);
    expect(await complete(script, 'mizzenctl x explain -o t')).toEqual(['table']);
    expect(await complete(script, 'mizzenctl completion ')).toEqual([]);
    expect(await complete(script, 'mizzenctl ps --istiod-address ')).toEqual([]);
  });

  it('follows the tree it is given, not a list of its own', async () => {
    const program = new Command('toy');
    program.command('alpha').alias('a').addOption(new Option('--color <when>').choices(['always', 'never'])).option('--count <n>');
    program.command('beta').command('gamma').option('--deep');
    const toy = bashCompletion('toy', commandTree(program));
    expect(await complete(toy, 'toy ', 'toy')).toEqual(['alpha', 'a', 'beta', 'help']);
    expect(await complete(toy, 'toy a --color ', 'toy')).toEqual(['always', 'never']);
    expect(await complete(toy, 'toy alpha --count 3 --', 'toy')).toEqual(['--color', '--count', '--help']);
    expect(await complete(toy, 'toy beta gamma --d', 'toy')).toEqual(['--deep']);
  });
});

describe('mizzenctl completion zsh and fish', () => {
  const program = new Command('toy').description('a toy');
  program.command('alpha').alias('a').description("it's: first").addOption(new Option('-c, --color <when>', 'colour').choices(['always', 'never']));

  it('describes each command and option for zsh, and registers with compdef', () => {
    const script = zshCompletion('toy', commandTree(program));
    expect(script.startsWith('#compdef toy\n')).toBe(true);
    expect(script).toContain(`'|alpha') cmdpath='alpha' ;;`);
    expect(script).toContain(`'|a') cmdpath='alpha' ;;`);
    expect(script).toContain(`'alpha:it'\\''s: first'`);
    expect(script).toContain(`'alpha|-c') choices=('always' 'never') ;;`);
    expect(script).toContain('compdef _toy toy');
  });

  it('gives fish a complete line per command and option, under the command it belongs to', () => {
    const script = fishCompletion('toy', commandTree(program));
    expect(script).toContain(`complete -c toy -n '__toy_at \\'\\'' -f -a 'alpha' -d 'it\\'s: first'`);
    expect(script).toContain(`complete -c toy -n '__toy_at \\'alpha\\'' -l color -s c -x -a 'always never' -d 'colour'`);
    expect(script).toContain(`case 'alpha|--color' 'alpha|-c'`);
  });

  it('exits 2 for a shell it does not know, and documents its exit codes', async () => {
    expect(await mizzenctl(['completion', 'tcsh'])).toMatchObject({ code: 2, err: expect.stringContaining('Allowed choices are bash, zsh, fish') });
    expect((await mizzenctl(['completion', '--help'])).out).toMatch(/Exit codes:\n {2}0 .*\n {2}2 /);
  });
});
