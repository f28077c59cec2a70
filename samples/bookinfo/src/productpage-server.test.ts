import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { bookDetails } from './details-server.ts';
import { createProductpageServer, defaultTimeoutsMs, detailsUnavailable, ratingsUnavailable, reviewsUnavailable, type ProductpageOptions } from './productpage-server.ts';
import { answerJson, closeAll, fakeService, listen, neverAnswer, type FakeService } from './test-servers.ts';

afterEach(closeAll);

const reviewsReply = {
  id: '0',
  podname: 'reviews-v2-5d8f-x1',
  clustername: 'null',
  reviews: [
    { reviewer: 'Reviewer1', text: 'Loved it', rating: { stars: 5, color: 'black' } },
    { reviewer: 'Reviewer2', text: 'Good <b>fun</b>', rating: { error: 'Ratings service is currently unavailable' } },
  ],
};

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface Mesh {
  base: string;
  details: FakeService;
  reviews: FakeService;
  ratings: FakeService;
}

async function productpage(handlers: { details?: Handler; reviews?: Handler; ratings?: Handler } = {}, timeouts: Partial<ProductpageOptions> = {}): Promise<Mesh> {
  const details = await fakeService(handlers.details ?? ((request, response) => answerJson(bookDetails(Number(request.url?.split('/').pop())))(request, response)));
  const reviews = await fakeService(handlers.reviews ?? answerJson(reviewsReply));
  const ratings = await fakeService(handlers.ratings ?? answerJson({ id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } }));
  const port = await listen(
    createProductpageServer({
      details: { url: details.url },
      reviews: { url: reviews.url },
      ratings: { url: ratings.url },
      detailsTimeoutMs: 1_000,
      reviewsTimeoutMs: 1_000,
      ratingsTimeoutMs: 1_000,
      ...timeouts,
    }),
  );
  return { base: `http://127.0.0.1:${port}`, details, reviews, ratings };
}

describe('productpage', () => {
  it('renders the book, its details and its reviews with who served them', async () => {
    const mesh = await productpage();
    const response = await fetch(`${mesh.base}/productpage`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('<h1>The Comedy of Errors</h1>');
    expect(html).toContain('<dt>ISBN-10:</dt><dd>1234567890</dd>');
    expect(html).toContain('<dt>Publisher:</dt><dd>PublisherA</dd>');
    expect(html).toContain('Loved it');
    expect(html).toContain('Good &#60;b&#62;fun&#60;/b&#62;');
    expect(html).toContain('data-stars="5">★★★★★</p>');
    expect(html).toContain('Ratings service is currently unavailable');
    expect(html).toContain('<dt>Reviews served by:</dt><dd><u>reviews-v2-5d8f-x1</u></dd>');
    expect(mesh.details.requests[0].path).toBe('/details/0');
    expect(mesh.reviews.requests[0].path).toBe('/reviews/0');
    expect(mesh.reviews.requests[0].headers['end-user']).toBeUndefined();
  });

  it('signs in with a user cookie, sends end-user to reviews, and signs out', async () => {
    const mesh = await productpage();
    const login = await fetch(`${mesh.base}/login`, { method: 'POST', body: new URLSearchParams({ username: 'jason', passwd: 'x' }), redirect: 'manual' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/productpage');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^user=jason; Path=\//);
    const html = await (await fetch(`${mesh.base}/productpage`, { headers: { cookie: 'user=jason' } })).text();
    expect(html).toContain('Signed in as <b>jason</b>');
    expect(mesh.reviews.requests[0].headers['end-user']).toBe('jason');
    expect(mesh.details.requests[0].headers['end-user']).toBe('jason');
    const logout = await fetch(`${mesh.base}/logout`, { redirect: 'manual' });
    expect(logout.status).toBe(302);
    expect(logout.headers.get('set-cookie')).toMatch(/^user=; Path=\/; Max-Age=0/);
    const accented = await fetch(`${mesh.base}/login`, { method: 'POST', body: new URLSearchParams({ username: 'zoë' }), redirect: 'manual' });
    expect(accented.headers.get('set-cookie')).toMatch(/^user=zo%C3%AB;/);
    const empty = await fetch(`${mesh.base}/login`, { method: 'POST', body: new URLSearchParams({ username: ' ' }), redirect: 'manual' });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: 'POST /login: form field username is missing or empty' });
  });

  it('escapes the signed-in name in the page', async () => {
    const mesh = await productpage();
    const html = await (await fetch(`${mesh.base}/productpage`, { headers: { cookie: `user=${encodeURIComponent('<script>x</script>')}` } })).text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
  });

  it('survives a malformed cookie and refuses an oversized sign-in form', async () => {
    const mesh = await productpage();
    const page = await fetch(`${mesh.base}/productpage`, { headers: { cookie: 'user=%E0%A4%A' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('action="/login"');
    const huge = await fetch(`${mesh.base}/login`, { method: 'POST', body: `username=${'a'.repeat(20_000)}` });
    expect(huge.status).toBe(413);
    expect((await fetch(`${mesh.base}/health`)).status).toBe(200);
  });

  it('passes on an incoming end-user and the trace headers, and nothing else', async () => {
    const mesh = await productpage();
    const trace = {
      'x-request-id': 'req-9',
      'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
      'x-b3-spanid': 'e457b5a2e4d86bd1',
      'x-b3-parentspanid': '05e3ac9a4f6e3b90',
      'x-b3-sampled': '1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'congo=t61rcWkgMzE',
      'x-ot-span-context': 'ot',
      'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1',
      sw8: '1-abc',
      'user-agent': 'bookinfo-test',
    };
    await fetch(`${mesh.base}/productpage`, { headers: { ...trace, 'end-user': 'mary', 'x-private': 'no' } });
    for (const upstream of [mesh.details, mesh.reviews]) {
      expect(upstream.requests[0].headers).toMatchObject({ ...trace, 'end-user': 'mary' });
      expect(upstream.requests[0].headers['x-private']).toBeUndefined();
    }
  });

  it('shows Istio’s error texts when details and reviews fail', async () => {
    const mesh = await productpage({ details: answerJson({ error: 'no healthy upstream' }, 503), reviews: answerJson({ error: 'fault filter abort' }, 500) });
    const html = await (await fetch(`${mesh.base}/productpage`)).text();
    expect(html).toContain(detailsUnavailable);
    expect(html).toContain(reviewsUnavailable);
    expect(detailsUnavailable).toBe('Sorry, product details are currently unavailable for this book.');
    expect(reviewsUnavailable).toBe('Sorry, product reviews are currently unavailable for this book.');
    expect(mesh.reviews.requests).toHaveLength(2);
  });

  it('gives up on reviews after two timed-out attempts, and on details after its own timeout', async () => {
    const mesh = await productpage({ details: neverAnswer, reviews: neverAnswer }, { detailsTimeoutMs: 250, reviewsTimeoutMs: 250 });
    const started = performance.now();
    const html = await (await fetch(`${mesh.base}/productpage`)).text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(495);
    expect(html).toContain(detailsUnavailable);
    expect(html).toContain(reviewsUnavailable);
    expect(mesh.reviews.requests).toHaveLength(2);
    expect(mesh.details.requests).toHaveLength(1);
  });

  it('retries reviews once and shows the second answer', async () => {
    let calls = 0;
    const mesh = await productpage({ reviews: (request, response) => (++calls === 1 ? answerJson({}, 503) : answerJson(reviewsReply))(request, response) });
    const html = await (await fetch(`${mesh.base}/productpage`)).text();
    expect(html).toContain('reviews-v2-5d8f-x1');
    expect(calls).toBe(2);
  });

  it('shows the error when reviews cannot be reached at all', async () => {
    const unreachable = new URL(`http://127.0.0.1:${await freePort()}`);
    const port = await listen(createProductpageServer({ details: { url: unreachable }, reviews: { url: unreachable }, ratings: { url: unreachable }, detailsTimeoutMs: 1_000, reviewsTimeoutMs: 1_000, ratingsTimeoutMs: 1_000 }));
    const html = await (await fetch(`http://127.0.0.1:${port}/productpage`)).text();
    expect(html).toContain(reviewsUnavailable);
    expect(html).toContain(detailsUnavailable);
  });

  it('serves the JSON APIs', async () => {
    const mesh = await productpage();
    expect(await (await fetch(`${mesh.base}/api/v1/products`)).json()).toEqual([expect.objectContaining({ id: 0, title: 'The Comedy of Errors' })]);
    expect(await (await fetch(`${mesh.base}/api/v1/products/0`)).json()).toEqual(bookDetails(0));
    expect(await (await fetch(`${mesh.base}/api/v1/products/0/reviews`)).json()).toEqual(reviewsReply);
    expect(await (await fetch(`${mesh.base}/api/v1/products/0/ratings`)).json()).toEqual({ id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    expect(mesh.ratings.requests[0].path).toBe('/ratings/0');
    const bad = await fetch(`${mesh.base}/api/v1/products/x`);
    expect(bad.status).toBe(400);
    expect((await fetch(`${mesh.base}/api/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${mesh.base}/`)).status).toBe(200);
  });

  it('answers the failing status and the error text from the APIs', async () => {
    const mesh = await productpage({ ratings: answerJson({}, 503) });
    const response = await fetch(`${mesh.base}/api/v1/products/0/ratings`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: ratingsUnavailable });
  });

  it('has Istio’s timeouts by default: 3 s a call, reviews twice', () => {
    expect(defaultTimeoutsMs).toEqual({ details: 3_000, reviews: 3_000, ratings: 3_000 });
  });
});
