import { describe, expect, it } from 'vitest';
import { documents, load, reviewsService, virtualService } from './analyzer-fixtures.ts';
import { referencedHostNotFound } from './referenced-host-not-found.ts';

const serviceEntry = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: external }
spec:
  hosts: ['*.example.com']
  ports: [{ number: 443, name: https, protocol: HTTPS }]
  resolution: NONE
`;

describe('referencedHostNotFound', () => {
  it('reports a destination host that matches no Service, at the line of the host', () => {
    const messages = referencedHostNotFound(load(documents(reviewsService, virtualService('reviews', '{ host: reviewz }'))));
    expect(messages).toEqual([
      expect.objectContaining({ level: 'Error', code: 'IST0101', kind: 'VirtualService', namespace: 'default', name: 'reviews', line: 19, text: 'Referenced host not found: "reviewz"' }),
    ]);
  });

  it('accepts short, namespaced and full Service names, and ServiceEntry wildcards', () => {
    const objects = load(
      documents(
        reviewsService,
        serviceEntry,
        virtualService('a', '{ host: reviews }'),
        virtualService('b', '{ host: reviews.default }'),
        virtualService('c', '{ host: reviews.default.svc.cluster.local }'),
        virtualService('d', '{ host: api.example.com }'),
      ),
    );
    expect(referencedHostNotFound(objects)).toEqual([]);
  });

  it('reads a short name in the namespace of the VirtualService', () => {
    const other = virtualService('a', '{ host: reviews }').replace('metadata: { name: a }', 'metadata: { name: a, namespace: other }');
    expect(referencedHostNotFound(load(documents(reviewsService, other)))).toMatchObject([{ namespace: 'other', text: 'Referenced host not found: "reviews"' }]);
  });
});
