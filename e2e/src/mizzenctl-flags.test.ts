import { describe, expect, it } from 'vitest';
import { runScript } from '@mizzen/testing';
import { mizzenctl } from './mesh-process.ts';

describe('mizzenctl flags', { timeout: 60_000 }, () => {
  it('exits 2 on a bad flag, naming it', async () => {
    const result = await runScript(mizzenctl, ['local', 'up', 'samples/hello/manifests', '--bogus'], { timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
  });
});
