import { timeoutMs } from './app-options.ts';

export interface ReviewsVersion {
  version: 'v1' | 'v2' | 'v3';
  /** v1 shows no stars; v2 and v3 ask ratings for them. */
  ratingsEnabled: boolean;
  starColor: 'black' | 'red';
  /** How long reviews waits for ratings. v2 waits 10 s, v3 2.5 s: the delay task turns on this. */
  ratingsTimeoutMs: number;
}

const versions: Record<ReviewsVersion['version'], ReviewsVersion> = {
  v1: { version: 'v1', ratingsEnabled: false, starColor: 'black', ratingsTimeoutMs: 10_000 },
  v2: { version: 'v2', ratingsEnabled: true, starColor: 'black', ratingsTimeoutMs: 10_000 },
  v3: { version: 'v3', ratingsEnabled: true, starColor: 'red', ratingsTimeoutMs: 2_500 },
};

/**
 * One program plays every version: SERVICE_VERSION picks the defaults, ENABLE_RATINGS and
 * STAR_COLOR override them, RATINGS_TIMEOUT_MS shortens the wait (tests use it).
 */
export function reviewsVersionFromEnv(env: NodeJS.ProcessEnv): ReviewsVersion {
  const name = env.SERVICE_VERSION || 'v1';
  if (!Object.hasOwn(versions, name)) throw new Error(`SERVICE_VERSION: "${name}" is not one of v1, v2, v3`);
  const chosen = { ...versions[name as ReviewsVersion['version']] };
  if (env.ENABLE_RATINGS !== undefined && env.ENABLE_RATINGS !== '') {
    if (env.ENABLE_RATINGS !== 'true' && env.ENABLE_RATINGS !== 'false') throw new Error(`ENABLE_RATINGS: "${env.ENABLE_RATINGS}" is not true or false`);
    chosen.ratingsEnabled = env.ENABLE_RATINGS === 'true';
  }
  if (env.STAR_COLOR !== undefined && env.STAR_COLOR !== '') {
    if (env.STAR_COLOR !== 'black' && env.STAR_COLOR !== 'red') throw new Error(`STAR_COLOR: "${env.STAR_COLOR}" is not black or red`);
    chosen.starColor = env.STAR_COLOR;
    // The wait follows the colour, as in Istio's reviews: red (v3) gives up sooner.
    chosen.ratingsTimeoutMs = versions[env.STAR_COLOR === 'red' ? 'v3' : 'v2'].ratingsTimeoutMs;
  }
  chosen.ratingsTimeoutMs = timeoutMs(env, 'RATINGS_TIMEOUT_MS', chosen.ratingsTimeoutMs);
  return chosen;
}
