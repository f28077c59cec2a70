import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './unified-diff.ts';

const labels = { from: 'old', to: 'new' };
const lines = (...values: (string | number)[]) => values.map((v) => `${v}\n`).join('');

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff(lines(1, 2, 3), lines(1, 2, 3), labels)).toBe('');
  });

  it('shows a changed line with its context, removal first', () => {
    expect(unifiedDiff(lines(1, 2, 3, 4, 5, 6, 7, 8), lines(1, 2, 3, 4, 'x', 6, 7, 8), labels)).toBe(
      ['--- old', '+++ new', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+x', ' 6', ' 7', ' 8', ''].join('\n'),
    );
  });

  it('splits changes far apart into hunks, and counts lines added to an empty text', () => {
    const before = lines(...Array.from({ length: 20 }, (_, i) => i));
    const after = lines('a', ...Array.from({ length: 19 }, (_, i) => i + 1), 'b');
    expect(unifiedDiff(before, after, labels)).toBe(
      ['--- old', '+++ new', '@@ -1,4 +1,4 @@', '-0', '+a', ' 1', ' 2', ' 3', '@@ -18,3 +18,4 @@', ' 17', ' 18', ' 19', '+b', ''].join('\n'),
    );
    expect(unifiedDiff('', lines('a'), labels)).toBe(['--- old', '+++ new', '@@ -0,0 +1,1 @@', '+a', ''].join('\n'));
  });
});
