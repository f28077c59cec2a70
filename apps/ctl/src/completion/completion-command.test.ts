import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
    expect(await complete(script, 'mizzenctl pc li')).toEqual(['listeners']);
    expect(await complete(script, 'mizzenctl pc l')).toEqual(['listeners', 'log']);
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

/** A stand-in `mizzenctl` on PATH for the scripts' `__complete` calls: it logs its arguments
 *  and lists two pods or two namespaces. (The real command is tested below, in-process.) */
async function stubProgram(): Promise<{ path: string; log: string }> {
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.log');
  await mkdir(bin, { recursive: true });
  await writeFile(
    join(bin, 'mizzenctl'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\ncase "$2" in pods) printf 'reviews-v1-abc\\nreviews-v2-def\\n' ;; namespaces) printf 'default\\nistio-system\\n' ;; esac\n`,
    { mode: 0o755 },
  );
  return { path: `${bin}:${process.env.PATH}`, log };
}

describe('mizzenctl completion bash: pods and namespaces', () => {
  let script = '';
  let stub: { path: string; log: string };
  beforeAll(async () => {
    script = (await mizzenctl(['completion', 'bash'])).out;
    stub = await stubProgram();
  });

  async function completeWithStub(line: string): Promise<string[]> {
    const saved = process.env.PATH;
    process.env.PATH = stub.path;
    try {
      return await complete(script, line);
    } finally {
      process.env.PATH = saved;
    }
  }

  it("offers the program's pods where a command takes one, passing the words typed so far", async () => {
    await writeFile(stub.log, '');
    expect(await completeWithStub('mizzenctl pc clusters ')).toEqual(['reviews-v1-abc', 'reviews-v2-def']);
    expect(await completeWithStub('mizzenctl x explain -n bookinfo --kubeconfig k reviews-v2')).toEqual(['reviews-v2-def']);
    expect(await readFile(stub.log, 'utf8')).toBe('__complete pods -- pc clusters\n__complete pods -- x explain -n bookinfo --kubeconfig k\n');
  });

  it('offers namespaces after -n, and nothing of the program where no pod goes', async () => {
    await writeFile(stub.log, '');
    expect(await completeWithStub('mizzenctl ps -n ')).toEqual(['default', 'istio-system']);
    // explain's second argument is a URL; analyze takes no pod.
    expect(await completeWithStub('mizzenctl x explain reviews-v1 ')).toEqual([]);
    expect(await completeWithStub('mizzenctl analyze ')).toEqual([]);
    expect(await readFile(stub.log, 'utf8')).toBe('__complete namespaces -- ps -n\n');
  });
});

describe('mizzenctl completion zsh, in zsh', () => {
  let script = '';
  let stub: { path: string; log: string };
  beforeAll(async () => {
    script = (await mizzenctl(['completion', 'zsh'])).out;
    stub = await stubProgram();
    await writeFile(join(dir, '_mizzenctl'), script);
  });

  /** Completes `line` by calling the script's function with zsh's `words` and `CURRENT`, with
   *  the completion system's builtins replaced by ones that print what they are given (zsh
   *  filters the replies by the typed prefix itself; these print them all). */
  async function zshComplete(line: string): Promise<string[]> {
    const probe = `
      compdef() { print -r -- "compdef $*" }
      _describe() { local item; for item in "\${(@P)4}"; do print -r -- "\${item%%:*}"; done }
      compadd() { if [[ $1 == -a ]]; then print -rl -- "\${(@P)2}"; fi }
      _files() { print -r -- '<files>' }
      source "$1"; shift
      words=("$@"); CURRENT=$#
      _mizzenctl`;
    const { stdout } = await run('zsh', ['-f', '-c', probe, 'probe', join(dir, '_mizzenctl'), ...line.split(' ')], { env: { ...process.env, PATH: stub.path } });
    return stdout.split('\n').filter((reply) => reply !== '');
  }

  it('registers with compdef when sourced', async () => {
    expect((await zshComplete('mizzenctl '))[0]).toBe('compdef _mizzenctl mizzenctl');
  });

  it('offers commands, options, values, pods and namespaces, and files elsewhere', async () => {
    const reply = async (line: string) => (await zshComplete(line)).slice(1);
    expect(await reply('mizzenctl ')).toEqual(expect.arrayContaining(['local', 'proxy-config', 'pc', 'x', 'version']));
    expect(await reply('mizzenctl pc ')).toEqual(['clusters', 'listeners', 'routes', 'endpoints', 'secret', 'bootstrap', 'log', 'all', 'help']);
    expect(await reply('mizzenctl pc routes --fqdn x --')).toContain('--name');
    expect(await reply('mizzenctl version -o ')).toEqual(['json', 'yaml']);
    expect(await reply('mizzenctl pc clusters ')).toEqual(['reviews-v1-abc', 'reviews-v2-def']);
    expect(await reply('mizzenctl pc clusters -n ')).toEqual(['default', 'istio-system']);
    expect(await reply('mizzenctl analyze -f ')).toEqual(['<files>']);
    expect(await reply('mizzenctl pc clusters reviews-v1-abc ')).toEqual(['<files>']);
  });
});

describe('mizzenctl completion fish, in fish', () => {
  let file = '';
  let stub: { path: string; log: string };
  beforeAll(async () => {
    file = join(dir, 'mizzenctl.fish');
    await writeFile(file, (await mizzenctl(['completion', 'fish'])).out);
    stub = await stubProgram();
  });

  /** fish's own `complete -C`: the candidates it would offer for the line, without descriptions. */
  async function fishComplete(line: string): Promise<string[]> {
    const { stdout } = await run('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line], { env: { ...process.env, PATH: stub.path } });
    return stdout
      .split('\n')
      .filter((reply) => reply !== '')
      .map((reply) => reply.split('\t')[0]);
  }

  it('offers commands, options and their values from the tree', async () => {
    expect(await fishComplete('mizzenctl pro')).toEqual(['proxy-config', 'proxy-status']);
    expect(await fishComplete('mizzenctl pc l')).toEqual(['listeners', 'log']);
    expect(await fishComplete('mizzenctl version --out')).toEqual(['--output']);
    expect(await fishComplete('mizzenctl version -o ')).toEqual(['json', 'yaml']);
    expect(await fishComplete('mizzenctl pc clusters --fqdn routes --na')).toEqual(['--namespace']);
  });

  it('offers the pods and namespaces the program lists', async () => {
    await writeFile(stub.log, '');
    expect(await fishComplete('mizzenctl pc clusters ')).toEqual(['reviews-v1-abc', 'reviews-v2-def']);
    expect(await fishComplete('mizzenctl ps --namespace ')).toEqual(['default', 'istio-system']);
    expect(await readFile(stub.log, 'utf8')).toBe('__complete pods -- pc clusters\n__complete namespaces -- ps --namespace\n');
  });
});

describe('mizzenctl completion', () => {
  const program = new Command('toy').description('a toy');
  program.command('alpha').alias('a').description("it's: first").addOption(new Option('-c, --color <when>', 'colour').choices(['always', 'never']));

  it('quotes descriptions for zsh and fish', () => {
    expect(zshCompletion('toy', commandTree(program))).toContain(`'alpha:it'\\''s: first'`);
    expect(fishCompletion('toy', commandTree(program))).toContain(`-f -a 'alpha' -d 'it\\'s: first'`);
  });

  it('exits 2 for a shell it does not know, and documents its exit codes', async () => {
    expect(await mizzenctl(['completion', 'tcsh'])).toMatchObject({ code: 2, err: expect.stringContaining('Allowed choices are bash, zsh, fish') });
    expect((await mizzenctl(['completion', '--help'])).out).toMatch(/Exit codes:\n {2}0 .*\n {2}2 /);
  });
});
