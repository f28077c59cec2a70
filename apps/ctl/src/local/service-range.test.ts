import { describe, expect, it } from 'vitest';
import { allocateServiceIps, inRange, serviceRange } from './service-range.ts';

const range = serviceRange(7);
const svc = (name: string, requested?: string) => ({ namespace: 'default', name, requested });

describe('allocateServiceIps', () => {
  it('gives each service the same address whatever the order or the run', () => {
    const one = allocateServiceIps([svc('reviews'), svc('ratings'), svc('details')], range).addresses;
    const two = allocateServiceIps([svc('details'), svc('reviews'), svc('ratings')], range).addresses;
    expect(one).toEqual(two);
    expect([...one.values()].every((ip) => inRange(range, ip))).toBe(true);
    expect(new Set(one.values()).size).toBe(3);
  });

  it('never hands out .10, the nameserver address', () => {
    const many = Array.from({ length: 253 }, (_, i) => svc(`s${i}`));
    const { addresses, warnings } = allocateServiceIps(many, range);
    expect(warnings).toEqual([]);
    expect(addresses.size).toBe(253);
    expect([...addresses.values()]).not.toContain('10.245.7.10');
    expect(new Set(addresses.values()).size).toBe(253);
    const { warnings: full } = allocateServiceIps([...many, svc('one-too-many')], range);
    // Placed in name order: the last name goes without.
    expect(full).toEqual(['Service default/s99: no address left in the service range 10.245.7.0/24 (253 services at most)']);
  });

  it('keeps what a service had before when a newcomer would take it', () => {
    const before = allocateServiceIps([svc('a')], range).addresses;
    const taken = before.get('default/a')!;
    // A newcomer asking for a's address gets another: a keeps its own.
    const after = allocateServiceIps([svc('a'), svc('b', taken)], range, before);
    expect(after.addresses.get('default/a')).toBe(taken);
    expect(after.addresses.get('default/b')).not.toBe(taken);
    expect(after.warnings).toEqual([`Service default/b: spec.clusterIP ${taken} is not free in the service range 10.245.7.0/24; given another`]);
  });

  it('honours a requested address inside the range, and replaces one outside it', () => {
    const { addresses, warnings } = allocateServiceIps([svc('a', '10.245.7.99'), svc('b', '10.96.0.1')], range);
    expect(addresses.get('default/a')).toBe('10.245.7.99');
    expect(inRange(range, addresses.get('default/b')!)).toBe(true);
    expect(warnings).toEqual(['Service default/b: spec.clusterIP 10.96.0.1 is not free in the service range 10.245.7.0/24; given another']);
  });
});
