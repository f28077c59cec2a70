import { describe, expect, it } from 'vitest';
import { buildClusters } from './cluster-builder.ts';
import { bookinfoPush, expectGolden, podProxy } from './test-fixtures.ts';

describe('buildClusters', () => {
  const push = bookinfoPush();
  const reviews = podProxy('reviews-v1-1', '10.244.0.11', { app: 'reviews', version: 'v1' }, 'REDIRECT');

  it('matches the golden clusters of a reviews proxy', () => {
    expectGolden('clusters-reviews', buildClusters(push, reviews));
  });

  it('names an EDS cluster per service port, the fallbacks and the inbound port', () => {
    expect(buildClusters(push, reviews).map((c) => c.name)).toEqual([
      'BlackHoleCluster',
      'InboundPassthroughCluster',
      'PassthroughCluster',
      'inbound|9080||',
      'outbound|27017||mongodb.default.svc.cluster.local',
      'outbound|7070||ratings.default.svc.cluster.local',
      'outbound|9080||productpage.default.svc.cluster.local',
      'outbound|9080||ratings.default.svc.cluster.local',
      'outbound|9080||reviews.default.svc.cluster.local',
    ]);
  });

  it('gives a proxy that no service selects no inbound cluster', () => {
    const stranger = podProxy('batch-1', '10.244.0.99', { app: 'batch' }, 'NONE');
    expect(buildClusters(push, stranger).filter((c) => (c.name as string).startsWith('inbound|'))).toEqual([]);
  });
});
