import { describe, expect, it } from 'vitest';
import { compileFilterDisabled, compileListenerFilterPredicate } from './listener-filter-predicate.ts';

const on = (json: unknown, destinationPort: number) => compileListenerFilterPredicate(json, 'filter_disabled')({ destinationPort });

describe('listener filter predicate (filter_disabled)', () => {
  it('matches a port range with start inclusive and end exclusive', () => {
    const range = { destination_port_range: { start: 80, end: 82 } };
    expect([79, 80, 81, 82].map((p) => on(range, p))).toEqual([false, true, true, false]);
  });

  it('combines rules with or, and, not and any', () => {
    const tens = { destination_port_range: { start: 10, end: 20 } };
    const fifteens = { destination_port_range: { start: 15, end: 25 } };
    expect([12, 17, 22, 30].map((p) => on({ or_match: { rules: [tens, fifteens] } }, p))).toEqual([true, true, true, false]);
    expect([12, 17, 22].map((p) => on({ and_match: { rules: [tens, fifteens] } }, p))).toEqual([false, true, false]);
    expect([12, 30].map((p) => on({ not_match: tens }, p))).toEqual([false, true]);
    expect(on({ any_match: true }, 1)).toBe(true);
  });

  it('never disables a filter without filter_disabled', () => {
    expect(compileFilterDisabled({ name: 'f' }, 'listener_filters[0]')({ destinationPort: 80 })).toBe(false);
  });

  it('names the field of a bad predicate', () => {
    expect(() => on({}, 1)).toThrow('filter_disabled: exactly one of');
    expect(() => on({ any_match: true, not_match: { any_match: true } }, 1)).toThrow('found 2');
    expect(() => on({ or_match: { rules: [{ any_match: true }] } }, 1)).toThrow('filter_disabled.or_match.rules: at least two');
    expect(() => on({ not_match: { destination_port_range: { start: 9, end: 8 } } }, 1)).toThrow('filter_disabled.not_match.destination_port_range.end');
    expect(() => on({ header: {} }, 1)).toThrow('filter_disabled.header: unknown field');
    expect(() => on({ any_match: false }, 1)).toThrow('filter_disabled.any_match: must be true');
  });
});
