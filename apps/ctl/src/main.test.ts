import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript } from '@mizzen/testing';
import { runCommandLine } from './command-line.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCommandLine(['node', 'mizzenctl', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

// Each test starts Node processes: allow for a loaded machine.
describe('mizzenctl', { timeout: 60_000 }, () => {
  it('prints its usage with --help', async () => {
    const result = await runScript(main, ['--help'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: mizzenctl');
    expect(result.stdout).toContain('local');
  });

  it('exits 2 naming a bad flag', async () => {
    const result = await runScript(main, ['local', 'up', '--no-such-flag', 'x'], { timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('exits 2 naming a bad flag value or a missing argument', async () => {
    expect(await run(['local', 'up', 'dir', '--timeout', 'soon'])).toMatchObject({ code: 2, err: expect.stringContaining("option '--timeout <seconds>' argument 'soon' is invalid") });
    expect(await run(['local', 'up'])).toMatchObject({ code: 2, err: expect.stringContaining("missing required argument 'dir'") });
    expect(await run(['nonsense'])).toMatchObject({ code: 2 });
  });

  it('reports an invalid manifest by file, document and field, before making anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mizzenctl-test-'));
    try {
      await writeFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n    - port: 99999\n');
      const result = await run(['local', 'up', dir, '--state-dir', join(dir, 'state')]);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/bad\.yaml \(document 1\).*Service default\/x.*spec\.ports\[0\]\.port/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says when no mesh is recorded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mizzenctl-test-'));
    try {
      expect(await run(['local', 'status', '--state-dir', dir])).toMatchObject({ code: 0, out: 'no local mesh\n' });
      expect(await run(['local', 'down', 'abc123', '--state-dir', dir])).toMatchObject({ code: 1, err: expect.stringContaining('no mesh abc123 recorded') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
