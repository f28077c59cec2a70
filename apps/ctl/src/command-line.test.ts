import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript } from '@mizzen/testing';
import { mizzenctlProgram, runCommandLine } from './command-line.ts';
import { allNodes, commandTree } from './completion/command-tree.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const dump = fileURLToPath(new URL('./proxy-config/testdata/envoy-dump.json', import.meta.url));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('mizzenctl output', { timeout: 60_000 }, () => {
  it('documents the exit codes of every command it runs', async () => {
    const nodes = allNodes(commandTree(mizzenctlProgram({ out: () => {}, err: () => {} }, () => {})));
    const leaves = nodes.filter((n) => n.children.length === 0 && n.path.at(-1) !== 'help').map((n) => n.path.join(' '));
    expect(leaves).toEqual(expect.arrayContaining(['version', 'completion', 'proxy-status', 'analyze', 'proxy-config clusters', 'x explain', 'local up', 'local down', 'local status']));
    for (const leaf of leaves) {
      const help = await run([...leaf.split(' '), '--help']);
      expect({ leaf, code: help.code, documented: /\nExit codes:/.test(help.out) }).toEqual({ leaf, code: 0, documented: true });
    }
  });

  it('writes no colour when standard output is not a terminal', async () => {
    for (const args of [['--help'], ['pc', 'clusters', '--file', dump], ['version', '--remote=false']]) {
      const result = await runScript(main, args, { timeoutMs: 60_000 });
      expect(result.code).toBe(0);
      expect(result.stdout).not.toBe('');
      expect(result.stdout).not.toContain('\u001b[');
    }
  });

});
