import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pickForwardedHeaders } from './forwarded-headers.ts';
import { products } from './product.ts';
import { renderIndex, renderProductPage, type Section } from './product-page-html.ts';
import { parseProductId } from './product-id.ts';
import { sendJson } from './send-json.ts';
import { getJson, type Upstream } from './upstream.ts';

export const detailsUnavailable = 'Sorry, product details are currently unavailable for this book.';
export const reviewsUnavailable = 'Sorry, product reviews are currently unavailable for this book.';
export const ratingsUnavailable = 'Sorry, product ratings are currently unavailable for this book.';

export interface ProductpageOptions {
  details: Upstream;
  reviews: Upstream;
  ratings: Upstream;
  detailsTimeoutMs: number;
  /** Per attempt; reviews gets two attempts, as Istio's productpage gives it. */
  reviewsTimeoutMs: number;
  ratingsTimeoutMs: number;
}

/** The defaults of Istio's productpage: 3 s a call, reviews tried twice (a 6 s budget). */
export const defaultTimeoutsMs = { details: 3_000, reviews: 3_000, ratings: 3_000 };

const reviewsAttempts = 2;
const maxFormBytes = 16 * 1024;

export function createProductpageServer(options: ProductpageOptions): Server {
  return createServer((request, response) => {
    handle(options, request, response).catch((error: Error) => {
      if (!response.headersSent) sendJson(response, 500, { error: error.message });
      else response.destroy(error);
    });
  });
}

async function handle(options: ProductpageOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://productpage').pathname;
  if (request.method === 'POST' && path === '/login') return login(request, response);
  if (request.method !== 'GET') return sendJson(response, 405, { error: `${request.method} ${path}: not served` });
  if (path === '/') return sendHtml(response, 200, renderIndex());
  if (path === '/health') return sendJson(response, 200, { status: 'Product page is healthy' });
  if (path === '/logout') return redirectWithCookie(response, 'user=; Path=/; Max-Age=0');
  const headers = outgoingHeaders(request);
  if (path === '/productpage') {
    const product = products[0];
    const [details, reviews] = await Promise.all([callDetails(options, product.id, headers), callReviews(options, product.id, headers)]);
    return sendHtml(response, 200, renderProductPage({ product, user: userFromCookie(request.headers.cookie), details: section(details), reviews: section(reviews) }));
  }
  if (path === '/api/v1/products') return sendJson(response, 200, products);
  const api = /^\/api\/v1\/products\/([^/]+)(?:\/(reviews|ratings))?$/.exec(path);
  if (!api) return sendJson(response, 404, { error: `${path}: not found; try /productpage or /api/v1/products` });
  const id = parseProductId(api[1]);
  if (id === undefined) return sendJson(response, 400, { error: `${path}: the product id must be a whole number, got "${api[1]}"` });
  const call = api[2] === 'reviews' ? callReviews : api[2] === 'ratings' ? callRatings : callDetails;
  const result = await call(options, id, headers);
  sendJson(response, result.status, result.body);
}

interface CallResult {
  status: number;
  body: unknown;
}

/** A call's answer when 200; else the failing status (500 when nothing answered) and the error text. */
async function callService(upstream: Upstream, path: string, headers: Record<string, string>, timeoutMs: number, error: string): Promise<CallResult> {
  try {
    const reply = await getJson(upstream, path, headers, timeoutMs);
    if (reply.status === 200 && typeof reply.body === 'object' && reply.body !== null) return reply;
    return { status: reply.status === 200 ? 502 : reply.status, body: { error } };
  } catch {
    return { status: 500, body: { error } };
  }
}

function callDetails(options: ProductpageOptions, id: number, headers: Record<string, string>): Promise<CallResult> {
  return callService(options.details, `/details/${id}`, headers, options.detailsTimeoutMs, detailsUnavailable);
}

function callRatings(options: ProductpageOptions, id: number, headers: Record<string, string>): Promise<CallResult> {
  return callService(options.ratings, `/ratings/${id}`, headers, options.ratingsTimeoutMs, ratingsUnavailable);
}

async function callReviews(options: ProductpageOptions, id: number, headers: Record<string, string>): Promise<CallResult> {
  let result: CallResult = { status: 500, body: { error: reviewsUnavailable } };
  for (let attempt = 0; attempt < reviewsAttempts && result.status !== 200; attempt++) {
    result = await callService(options.reviews, `/reviews/${id}`, headers, options.reviewsTimeoutMs, reviewsUnavailable);
  }
  return result;
}

function section<T>(result: CallResult): Section<T> {
  if (result.status === 200) return { ok: true, value: result.body as T };
  return { ok: false, error: (result.body as { error: string }).error };
}

/** The tracing and identity headers, plus `end-user` for whoever signed in. */
function outgoingHeaders(request: IncomingMessage): Record<string, string> {
  const headers = pickForwardedHeaders(request.headers);
  const user = userFromCookie(request.headers.cookie);
  if (user !== undefined) headers['end-user'] = user;
  return headers;
}

export function userFromCookie(cookie: string | undefined): string | undefined {
  for (const pair of (cookie ?? '').split(';')) {
    const [name, ...rest] = pair.trim().split('=');
    if (name !== 'user') continue;
    try {
      const user = decodeURIComponent(rest.join('='));
      return user === '' ? undefined : user;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function login(request: IncomingMessage, response: ServerResponse): Promise<void> {
  let form = '';
  for await (const chunk of request.setEncoding('utf8')) {
    form += chunk as string;
    if (form.length > maxFormBytes) return sendJson(response, 413, { error: `POST /login: form larger than ${maxFormBytes} bytes` });
  }
  const user = new URLSearchParams(form).get('username')?.trim() ?? '';
  if (user === '') return sendJson(response, 400, { error: 'POST /login: form field username is missing or empty' });
  redirectWithCookie(response, `user=${encodeURIComponent(user)}; Path=/; HttpOnly`);
}

function redirectWithCookie(response: ServerResponse, cookie: string): void {
  response.writeHead(302, { location: '/productpage', 'set-cookie': cookie }).end();
}

function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(html);
}

