import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript } from '@mizzen/testing';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('pilot-agent', () => {
  it('prints its usage with --help', { timeout: 30_000 }, async () => {
    const result = await runScript(main, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: pilot-agent');
  });
});
