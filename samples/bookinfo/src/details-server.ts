import { createServer, type Server } from 'node:http';
import { parseProductId } from './product-id.ts';
import { sendJson } from './send-json.ts';

export interface BookDetails {
  id: number;
  author: string;
  year: number;
  type: string;
  pages: number;
  publisher: string;
  language: string;
  'ISBN-10': string;
  'ISBN-13': string;
}

/** The one book the store sells; every id gets its details, as in Istio's sample. */
export function bookDetails(id: number): BookDetails {
  return {
    id,
    author: 'William Shakespeare',
    year: 1595,
    type: 'paperback',
    pages: 200,
    publisher: 'PublisherA',
    language: 'English',
    'ISBN-10': '1234567890',
    'ISBN-13': '123-1234567890',
  };
}

/** `GET /details/ID` answers the book's details; `GET /health` says the service is up. */
export function createDetailsServer(): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://details').pathname;
    if (request.method !== 'GET') return sendJson(response, 405, { error: `${request.method} ${path}: only GET is served` });
    if (path === '/health') return sendJson(response, 200, { status: 'Details is healthy' });
    const match = /^\/details\/([^/]+)$/.exec(path);
    if (!match) return sendJson(response, 404, { error: `${path}: not found; try /details/0` });
    const id = parseProductId(match[1]);
    if (id === undefined) return sendJson(response, 400, { error: `${path}: the product id must be a whole number, got "${match[1]}"` });
    sendJson(response, 200, bookDetails(id));
  });
}
