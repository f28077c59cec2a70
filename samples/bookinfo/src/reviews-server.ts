import { createServer, type Server } from 'node:http';
import { pickForwardedHeaders } from './forwarded-headers.ts';
import { parseProductId } from './product-id.ts';
import type { ReviewsVersion } from './reviews-version.ts';
import { sendJson } from './send-json.ts';
import { getJson, type Upstream } from './upstream.ts';

export const ratingsUnavailable = 'Ratings service is currently unavailable';

export interface Review {
  reviewer: string;
  text: string;
  rating?: { stars: number; color: string } | { error: string };
}

export interface ReviewsReply {
  id: string;
  podname: string;
  clustername: string;
  reviews: Review[];
}

export interface ReviewsOptions extends ReviewsVersion {
  pod: string;
  ratings: Upstream;
}

const reviewTexts: Omit<Review, 'rating'>[] = [
  { reviewer: 'Reviewer1', text: 'A fast and very funny evening: two pairs of twins, one town, and nobody knows who is who.' },
  { reviewer: 'Reviewer2', text: 'Great fun on stage, though lighter in ideas than the plays Shakespeare wrote later.' },
];

/** `GET /reviews/ID` answers two reviews, with stars from ratings when this version shows them. */
export function createReviewsServer(options: ReviewsOptions): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://reviews').pathname;
    if (request.method !== 'GET') return sendJson(response, 405, { error: `${request.method} ${path}: only GET is served` });
    if (path === '/health') return sendJson(response, 200, { status: 'Reviews is healthy' });
    const match = /^\/reviews\/([^/]+)$/.exec(path);
    if (!match) return sendJson(response, 404, { error: `${path}: not found; try /reviews/0` });
    const id = parseProductId(match[1]);
    if (id === undefined) return sendJson(response, 400, { error: `${path}: the product id must be a whole number, got "${match[1]}"` });
    const stars = options.ratingsEnabled ? fetchStars(options, id, pickForwardedHeaders(request.headers)) : Promise.resolve(undefined);
    void stars.then((found) => sendJson(response, 200, reviewsReply(options, id, found)));
  });
}

/** The stars per reviewer, or null when ratings failed (a version without ratings passes undefined). */
export function reviewsReply(options: ReviewsOptions, id: number, stars: Record<string, number> | null | undefined): ReviewsReply {
  return {
    id: String(id),
    podname: options.pod,
    clustername: 'null',
    reviews: reviewTexts.map((review) => {
      if (stars === undefined) return { ...review };
      const given = stars?.[review.reviewer];
      return { ...review, rating: typeof given === 'number' ? { stars: given, color: options.starColor } : { error: ratingsUnavailable } };
    }),
  };
}

async function fetchStars(options: ReviewsOptions, id: number, headers: Record<string, string>): Promise<Record<string, number> | null> {
  try {
    const reply = await getJson(options.ratings, `/ratings/${id}`, headers, options.ratingsTimeoutMs);
    const ratings = (reply.body as { ratings?: unknown } | null)?.ratings;
    if (reply.status !== 200 || typeof ratings !== 'object' || ratings === null) return null;
    return ratings as Record<string, number>;
  } catch {
    return null;
  }
}
