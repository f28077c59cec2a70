#!/usr/bin/env node
import { appOptions, upstreamFromEnv } from './app-options.ts';
import { createReviewsServer } from './reviews-server.ts';
import { reviewsVersionFromEnv } from './reviews-version.ts';
import { serve } from './serve.ts';

const options = appOptions(process.argv.slice(2), process.env);
const version = reviewsVersionFromEnv(process.env);
const ratings = upstreamFromEnv(process.env, 'RATINGS_URL', 'http://ratings:9080');
serve(`reviews-${version.version}`, createReviewsServer({ ...version, pod: options.pod, ratings }), options.port, options.pod);
