import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

describe('backoff', () => {
  it('starts at 500 ms and doubles', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, 0.5))).toEqual([500, 1000, 2000, 4000]);
  });

  it('is capped at 30 s, jitter included', () => {
    expect(backoffDelay(10, 0.5)).toBe(30_000);
    expect(backoffDelay(1000, 0.999)).toBe(30_000);
  });

  it('spreads each delay by up to 20%', () => {
    expect(backoffDelay(0, 0)).toBe(400);
    expect(backoffDelay(0, 0.999)).toBeGreaterThan(590);
    expect(backoffDelay(0, 0.999)).toBeLessThanOrEqual(600);
  });
});
