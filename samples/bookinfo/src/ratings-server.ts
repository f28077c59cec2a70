import { createServer, type Server } from 'node:http';
import { parseProductId } from './product-id.ts';
import { sendJson } from './send-json.ts';

export interface Ratings {
  id: number;
  ratings: Record<string, number>;
}

/** Every book has the same two reviewers' stars. */
export function bookRatings(id: number): Ratings {
  return { id, ratings: { Reviewer1: 5, Reviewer2: 4 } };
}

/** `GET /ratings/ID` answers the stars each reviewer gave; `GET /health` says the service is up. */
export function createRatingsServer(): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://ratings').pathname;
    if (request.method !== 'GET') return sendJson(response, 405, { error: `${request.method} ${path}: only GET is served` });
    if (path === '/health') return sendJson(response, 200, { status: 'Ratings is healthy' });
    const match = /^\/ratings\/([^/]+)$/.exec(path);
    if (!match) return sendJson(response, 404, { error: `${path}: not found; try /ratings/0` });
    const id = parseProductId(match[1]);
    if (id === undefined) return sendJson(response, 400, { error: `${path}: the product id must be a whole number, got "${match[1]}"` });
    sendJson(response, 200, bookRatings(id));
  });
}
