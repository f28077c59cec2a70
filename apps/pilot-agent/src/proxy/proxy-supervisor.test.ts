import { describe, expect, it } from 'vitest';
import { defaultRestartPolicy, restartDelay } from './proxy-supervisor.ts';

describe('restartDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const policy = { ...defaultRestartPolicy, initialDelayMs: 200, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => restartDelay(policy, n))).toEqual([200, 400, 800, 1000, 1000]);
  });
});
