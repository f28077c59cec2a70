import { describe, expect, it } from 'vitest';
import { hostsFile, resolvConf } from './pod-dns.ts';

describe('pod names', () => {
  const services = [
    { namespace: 'default', name: 'reviews', ip: '10.245.7.20' },
    { namespace: 'shop', name: 'cart', ip: '10.245.7.21' },
  ];

  it('resolves short names only for services of the pod namespace', () => {
    expect(hostsFile({ name: 'productpage-v1-abc-xyz12', namespace: 'default', ip: '10.244.7.2' }, services)).toBe(
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        '10.244.7.2\tproductpage-v1-abc-xyz12',
        '10.245.7.20\treviews.default.svc.cluster.local reviews.default.svc reviews.default reviews',
        '10.245.7.21\tcart.shop.svc.cluster.local cart.shop.svc cart.shop',
        '',
      ].join('\n'),
    );
  });

  it('searches the pod namespace first, and names a nameserver only for DNS capture', () => {
    expect(resolvConf('shop', undefined)).toBe('search shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    expect(resolvConf('shop', '10.245.7.10')).toContain('\nnameserver 10.245.7.10\n');
  });
});
