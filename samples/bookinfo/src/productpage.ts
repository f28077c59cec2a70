#!/usr/bin/env node
import { appOptions, timeoutMs, upstreamFromEnv } from './app-options.ts';
import { createProductpageServer, defaultTimeoutsMs } from './productpage-server.ts';
import { serve } from './serve.ts';

const env = process.env;
const options = appOptions(process.argv.slice(2), env);
const server = createProductpageServer({
  details: upstreamFromEnv(env, 'DETAILS_URL', 'http://details:9080'),
  reviews: upstreamFromEnv(env, 'REVIEWS_URL', 'http://reviews:9080'),
  ratings: upstreamFromEnv(env, 'RATINGS_URL', 'http://ratings:9080'),
  detailsTimeoutMs: timeoutMs(env, 'DETAILS_TIMEOUT_MS', defaultTimeoutsMs.details),
  reviewsTimeoutMs: timeoutMs(env, 'REVIEWS_TIMEOUT_MS', defaultTimeoutsMs.reviews),
  ratingsTimeoutMs: timeoutMs(env, 'RATINGS_TIMEOUT_MS', defaultTimeoutsMs.ratings),
});
serve('productpage', server, options.port, options.pod);
