import { afterEach, describe, expect, it } from 'vitest';
import { createReviewsServer, ratingsUnavailable, type ReviewsReply } from './reviews-server.ts';
import { reviewsVersionFromEnv } from './reviews-version.ts';
import { answerJson, closeAll, fakeService, listen, neverAnswer, type FakeService } from './test-servers.ts';

afterEach(closeAll);

async function reviewsFor(env: NodeJS.ProcessEnv, ratings: FakeService, headers: Record<string, string> = {}): Promise<ReviewsReply> {
  const port = await listen(createReviewsServer({ ...reviewsVersionFromEnv(env), pod: 'reviews-v9-abc', ratings: { url: ratings.url } }));
  const response = await fetch(`http://127.0.0.1:${port}/reviews/0`, { headers });
  expect(response.status).toBe(200);
  return (await response.json()) as ReviewsReply;
}

const twoRatings = answerJson({ id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });

describe('reviews', () => {
  it('v1 answers two reviews without stars and never calls ratings', async () => {
    const ratings = await fakeService(twoRatings);
    const reply = await reviewsFor({ SERVICE_VERSION: 'v1' }, ratings);
    expect(reply).toMatchObject({ id: '0', podname: 'reviews-v9-abc' });
    expect(reply.reviews.map((r) => r.reviewer)).toEqual(['Reviewer1', 'Reviewer2']);
    expect(reply.reviews.every((r) => r.rating === undefined)).toBe(true);
    expect(ratings.requests).toHaveLength(0);
  });

  it('v2 adds black stars from ratings, passing on end-user and the trace headers', async () => {
    const ratings = await fakeService(twoRatings);
    const reply = await reviewsFor({ SERVICE_VERSION: 'v2' }, ratings, { 'end-user': 'jason', 'x-request-id': 'req-1', 'x-b3-traceid': 'abc', 'x-custom': 'kept-here' });
    expect(reply.reviews.map((r) => r.rating)).toEqual([
      { stars: 5, color: 'black' },
      { stars: 4, color: 'black' },
    ]);
    expect(ratings.requests[0].path).toBe('/ratings/0');
    expect(ratings.requests[0].headers).toMatchObject({ 'end-user': 'jason', 'x-request-id': 'req-1', 'x-b3-traceid': 'abc' });
    expect(ratings.requests[0].headers['x-custom']).toBeUndefined();
  });

  it('v3 shows red stars', async () => {
    const reply = await reviewsFor({ SERVICE_VERSION: 'v3' }, await fakeService(twoRatings));
    expect(reply.reviews.map((r) => r.rating)).toEqual([
      { stars: 5, color: 'red' },
      { stars: 4, color: 'red' },
    ]);
  });

  it('says ratings are unavailable when ratings fails or is too slow', async () => {
    const failing = await reviewsFor({ SERVICE_VERSION: 'v2' }, await fakeService(answerJson({ error: 'fault filter abort' }, 500)));
    expect(failing.reviews.map((r) => r.rating)).toEqual([{ error: ratingsUnavailable }, { error: ratingsUnavailable }]);
    expect(ratingsUnavailable).toBe('Ratings service is currently unavailable');
    const slow = await reviewsFor({ SERVICE_VERSION: 'v3', RATINGS_TIMEOUT_MS: '50' }, await fakeService(neverAnswer));
    expect(slow.reviews.map((r) => r.rating)).toEqual([{ error: ratingsUnavailable }, { error: ratingsUnavailable }]);
  });

  it('takes its version from env: v2 waits 10 s for ratings, v3 2.5 s', () => {
    expect(reviewsVersionFromEnv({})).toEqual({ version: 'v1', ratingsEnabled: false, starColor: 'black', ratingsTimeoutMs: 10_000 });
    expect(reviewsVersionFromEnv({ SERVICE_VERSION: 'v2' })).toMatchObject({ ratingsEnabled: true, starColor: 'black', ratingsTimeoutMs: 10_000 });
    expect(reviewsVersionFromEnv({ SERVICE_VERSION: 'v3' })).toMatchObject({ ratingsEnabled: true, starColor: 'red', ratingsTimeoutMs: 2_500 });
    expect(reviewsVersionFromEnv({ SERVICE_VERSION: 'v1', ENABLE_RATINGS: 'true', STAR_COLOR: 'red' })).toMatchObject({ ratingsEnabled: true, starColor: 'red', ratingsTimeoutMs: 2_500 });
    expect(() => reviewsVersionFromEnv({ SERVICE_VERSION: 'v4' })).toThrow('SERVICE_VERSION: "v4" is not one of v1, v2, v3');
    expect(() => reviewsVersionFromEnv({ ENABLE_RATINGS: 'yes' })).toThrow('ENABLE_RATINGS: "yes" is not true or false');
    expect(() => reviewsVersionFromEnv({ STAR_COLOR: 'blue' })).toThrow('STAR_COLOR: "blue" is not black or red');
    expect(() => reviewsVersionFromEnv({ RATINGS_TIMEOUT_MS: '0' })).toThrow('RATINGS_TIMEOUT_MS: "0" is not a whole number');
  });
});
