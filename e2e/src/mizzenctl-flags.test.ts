import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScript } from '@mizzen/testing';

const mizzenctl = fileURLToPath(new URL('../../apps/ctl/src/main.ts', import.meta.url));

describe('mizzenctl flags', () => {
  it('exits 2 on a bad flag, naming it', async () => {
    const result = await runScript(mizzenctl, ['local', 'up', 'samples/hello', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });
});
