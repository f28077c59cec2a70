import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort, resolveDiscoveryAddress } from './discovery-address.ts';

describe('parseHostPort', () => {
  it('reads names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('istiod.istio-system.svc:15010')).toEqual({ host: 'istiod.istio-system.svc', port: 15010 });
    expect(parseHostPort('10.96.0.10:15010')).toEqual({ host: '10.96.0.10', port: 15010 });
    expect(parseHostPort('[fd00::1]:15010')).toEqual({ host: 'fd00::1', port: 15010 });
  });

  it.each([
    ['istiod', /not host:port/],
    ['istiod:', /not host:port/],
    ['fd00::1:15010', /not host:port/],
    ['[istiod]:15010', /not an IPv6 address/],
    ['istiod:70000', /out of range/],
    ['istiod:0', /out of range/],
  ])('rejects %s', (text, reason) => {
    expect(() => parseHostPort(text)).toThrow(reason);
  });
});

describe('formatHostPort', () => {
  it('round-trips what parseHostPort reads', () => {
    for (const text of ['istiod.istio-system.svc:15010', '10.96.0.10:15010', '[fd00::1]:15010']) {
      expect(formatHostPort(parseHostPort(text))).toBe(text);
    }
  });
});

describe('resolveDiscoveryAddress', () => {
  it('keeps an IP and resolves a name', async () => {
    expect(await resolveDiscoveryAddress({ host: '127.0.0.5', port: 1 })).toBe('127.0.0.5');
    expect(await resolveDiscoveryAddress({ host: 'localhost', port: 1 })).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('names the host it cannot resolve', async () => {
    await expect(resolveDiscoveryAddress({ host: 'no-such-host.invalid', port: 1 })).rejects.toThrow(/no-such-host\.invalid/);
  });
});
