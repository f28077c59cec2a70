import { describe, expect, it } from 'vitest';
import { destinationRule, documents, load, reviewsService, virtualService } from './analyzer-fixtures.ts';
import { referencedSubsetNotFound } from './referenced-subset-not-found.ts';

describe('referencedSubsetNotFound', () => {
  const rule = destinationRule('reviews', '[{ name: v1, labels: { version: v1 } }]');

  it('reports a subset that no DestinationRule for the host defines', () => {
    const messages = referencedSubsetNotFound(load(documents(reviewsService, rule, virtualService('reviews', '{ host: reviews, subset: v4 }'))));
    expect(messages).toMatchObject([{ level: 'Error', code: 'IST0101', name: 'reviews', text: 'Referenced host+subset in destinationrule not found: "reviews+v4"' }]);
  });

  it('accepts a defined subset, under any spelling of the host', () => {
    const objects = load(documents(reviewsService, rule, virtualService('reviews', '{ host: reviews.default.svc.cluster.local, subset: v1 }')));
    expect(referencedSubsetNotFound(objects)).toEqual([]);
  });

  it('reports a subset when the host has no DestinationRule at all', () => {
    expect(referencedSubsetNotFound(load(documents(reviewsService, virtualService('reviews', '{ host: reviews, subset: v1 }'))))).toHaveLength(1);
  });
});
