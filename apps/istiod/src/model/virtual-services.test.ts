import type { VirtualService } from '@mizzen/config';
import { describe, expect, it } from 'vitest';
import { hostMatches, isExportedTo, resolveHost } from './host.ts';
import { parseProxyNode } from './proxy.ts';
import { virtualServiceFor } from './virtual-services.ts';

const proxy = parseProxyNode({ id: 'sidecar~10.0.0.1~client-1.shop~shop.svc.cluster.local', metadata: { NAMESPACE: 'shop' } });
const reviews = 'reviews.default.svc.cluster.local';

function vs(name: string, namespace: string, spec: Partial<VirtualService['spec']>): VirtualService {
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace }, spec: { http: [{ route: [{ destination: { host: 'reviews' } }] }], ...spec } };
}

describe('hosts', () => {
  it('resolves short names in the resource namespace and keeps the rest', () => {
    expect(resolveHost('reviews', 'default')).toBe(reviews);
    expect(resolveHost('reviews.default', 'shop')).toBe('reviews.default');
    expect(resolveHost('*.example.com', 'shop')).toBe('*.example.com');
  });

  it('matches wildcards by suffix', () => {
    expect(hostMatches('*.default.svc.cluster.local', reviews)).toBe(true);
    expect(hostMatches('*.shop.svc.cluster.local', reviews)).toBe(false);
    expect(hostMatches('*', reviews)).toBe(true);
  });

  it('reads exportTo as Istio does', () => {
    expect(isExportedTo(undefined, 'default', 'shop')).toBe(true);
    expect(isExportedTo(['.'], 'default', 'shop')).toBe(false);
    expect(isExportedTo(['.'], 'shop', 'shop')).toBe(true);
    expect(isExportedTo(['shop'], 'default', 'shop')).toBe(true);
  });
});

describe('virtualServiceFor', () => {
  it('takes the proxy namespace first, then exact hosts before wildcards', () => {
    const wildcard = vs('all', 'default', { hosts: ['*.default.svc.cluster.local'] });
    const exact = vs('reviews', 'default', { hosts: ['reviews'] });
    const own = vs('mine', 'shop', { hosts: [reviews] });
    expect(virtualServiceFor([wildcard, exact], proxy, reviews)?.metadata.name).toBe('reviews');
    expect(virtualServiceFor([wildcard, exact, own], proxy, reviews)?.metadata.name).toBe('mine');
  });

  it('skips VirtualServices bound to gateways only, or not exported to the proxy', () => {
    expect(virtualServiceFor([vs('gw', 'default', { hosts: ['reviews'], gateways: ['bookinfo-gateway'] })], proxy, reviews)).toBeUndefined();
    expect(virtualServiceFor([vs('both', 'default', { hosts: ['reviews'], gateways: ['bookinfo-gateway', 'mesh'] })], proxy, reviews)?.metadata.name).toBe('both');
    expect(virtualServiceFor([vs('private', 'default', { hosts: ['reviews'], exportTo: ['.'] })], proxy, reviews)).toBeUndefined();
  });

  it('finds TCP routing separately from HTTP routing', () => {
    const tcpOnly = vs('db', 'default', { hosts: ['reviews'], http: undefined, tcp: [{ route: [{ destination: { host: 'reviews' } }] }] });
    expect(virtualServiceFor([tcpOnly], proxy, reviews)).toBeUndefined();
    expect(virtualServiceFor([tcpOnly], proxy, reviews, 'tcp')?.metadata.name).toBe('db');
  });
});
