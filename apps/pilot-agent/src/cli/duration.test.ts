import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['45s', 45_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['2h', 7_200_000],
    ['0', 0],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '45', 's', '10x', '5s junk', '-1s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow();
  });
});

describe('formatDuration', () => {
  it('writes whole and fractional seconds', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(500)).toBe('0.500s');
  });
});
