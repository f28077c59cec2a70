import { describe, expect, it } from 'vitest';
import { destinationRule, documents, load, reviewsDeployment, reviewsService } from './analyzer-fixtures.ts';
import { unusedSubset } from './unused-subset.ts';

describe('unusedSubset', () => {
  const rule = destinationRule('reviews', '[{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]');

  it('reports a subset whose labels select no pod of the Service', () => {
    expect(unusedSubset(load(documents(reviewsService, reviewsDeployment, rule)))).toMatchObject([
      { level: 'Warning', code: 'MZN0001', kind: 'DestinationRule', text: 'Subset "v2" of host "reviews" selects no pod of Service default/reviews' },
    ]);
  });

  it('says nothing when the Service is not among the files', () => {
    expect(unusedSubset(load(documents(reviewsDeployment, rule)))).toEqual([]);
  });
});
