import { describe, expect, it } from 'vitest';
import { meshSubnet, pickFreeOctet, podAddress } from './mesh-subnet.ts';

describe('mesh subnet', () => {
  it('gives the bridge .1 and pods .2 onwards', () => {
    const subnet = meshSubnet(7);
    expect(subnet).toEqual({ cidr: '10.244.7.0/24', gateway: '10.244.7.1', prefixLength: 24 });
    expect(podAddress(subnet, 0)).toBe('10.244.7.2');
    expect(podAddress(subnet, 252)).toBe('10.244.7.254');
    expect(() => podAddress(subnet, 253)).toThrow(/pod index 253/);
  });

  it('never picks an octet in use, nor 0 or 255', () => {
    const used = new Set(Array.from({ length: 254 }, (_, i) => i + 1).filter((o) => o !== 42));
    expect(pickFreeOctet(used, () => 0.99)).toBe(42);
    expect(pickFreeOctet(new Set(), () => 0)).toBe(1);
    expect(pickFreeOctet(new Set(), () => 0.999999)).toBe(254);
  });

  it('fails clearly when the pool is exhausted', () => {
    const used = new Set(Array.from({ length: 256 }, (_, i) => i));
    expect(() => pickFreeOctet(used)).toThrow(/no free \/24/);
  });
});
