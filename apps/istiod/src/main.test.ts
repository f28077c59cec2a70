import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript } from '@mizzen/testing';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

// Each case starts a Node process, which on a busy machine can take seconds.
describe('istiod', { timeout: 30_000 }, () => {
  it('prints its usage with --help', async () => {
    const result = await runScript(main, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: istiod');
    expect(result.stdout).toContain('--config-dir <dir>');
  });

  it.each([
    [['--config-dir', '.', '--bogus'], "unknown option '--bogus'"],
    [[], 'give --config-dir <dir> or --kubeconfig <file> (or run in a cluster)'],
    [['--config-dir', '.', '--kubeconfig', 'k'], "option '--kubeconfig <file>' cannot be used with option '--config-dir <dir>'"],
    [['--config-dir', '.', '--xds-address', 'nowhere'], "option '--xds-address <host:port>' argument 'nowhere' is invalid"],
    [['--config-dir', '.', '--http-address', '0.0.0.0:99999'], 'with a port from 0 to 65535'],
  ])('exits 2 naming a bad flag: %j', async (args, message) => {
    const { code, stderr } = await runScript(main, args);
    expect({ code, stderr }).toEqual({ code: 2, stderr: expect.stringContaining(message) });
  });

  it('exits 1 when a config folder is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mizzen-istiod-'));
    try {
      const { code, stderr } = await runScript(main, ['--config-dir', join(dir, 'missing'), '--xds-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0']);
      expect({ code, stderr }).toEqual({ code: 1, stderr: expect.stringContaining('does not exist') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
