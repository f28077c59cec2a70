import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript } from '@mizzen/testing';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('istiod', () => {
  it('prints its usage with --help', async () => {
    const result = await runScript(main, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: istiod');
  });
});
