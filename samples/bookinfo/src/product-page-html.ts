import type { Product } from './product.ts';
import type { Review } from './reviews-server.ts';

/** What productpage learnt from details and reviews: the JSON, or the error text to show. */
export type Section<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ProductPageView {
  product: Product;
  user: string | undefined;
  details: Section<Record<string, unknown>>;
  reviews: Section<{ podname?: unknown; reviews?: unknown }>;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderProductPage(view: ProductPageView): string {
  return page(
    `Simple Bookstore App`,
    `${renderUserBar(view.user)}
<h1>${escapeHtml(view.product.title)}</h1>
<p>${view.product.descriptionHtml}</p>
<section class="details">
<h2>Book Details</h2>
${view.details.ok ? renderDetails(view.details.value) : `<h3 class="error">${escapeHtml(view.details.error)}</h3>`}
</section>
<section class="reviews">
<h2>Book Reviews</h2>
${view.reviews.ok ? renderReviews(view.reviews.value) : `<h3 class="error">${escapeHtml(view.reviews.error)}</h3>`}
</section>`,
  );
}

export function renderIndex(): string {
  return page(
    'Simple Bookstore App',
    `<h1>Hello! This is a simple bookstore application consisting of four services.</h1>
<p><a href="/productpage">See the product page</a></p>
<p>APIs: <a href="/api/v1/products">/api/v1/products</a>, /api/v1/products/ID, /api/v1/products/ID/reviews, /api/v1/products/ID/ratings</p>`,
  );
}

function renderUserBar(user: string | undefined): string {
  if (user !== undefined) return `<p class="user">Signed in as <b>${escapeHtml(user)}</b> · <a href="/logout">Sign out</a></p>`;
  return `<form class="user" method="post" action="/login">
<label>User name <input type="text" name="username"></label>
<label>Password <input type="password" name="passwd"></label>
<button type="submit">Sign in</button>
</form>`;
}

const detailRows: [string, string][] = [
  ['type', 'Type'],
  ['pages', 'Pages'],
  ['publisher', 'Publisher'],
  ['language', 'Language'],
  ['ISBN-10', 'ISBN-10'],
  ['ISBN-13', 'ISBN-13'],
];

function renderDetails(details: Record<string, unknown>): string {
  const rows = detailRows
    .filter(([key]) => details[key] !== undefined)
    .map(([key, label]) => `<dt>${label}:</dt><dd>${escapeHtml(String(details[key]))}</dd>`);
  return `<dl>\n${rows.join('\n')}\n</dl>`;
}

function renderReviews(reply: { podname?: unknown; reviews?: unknown }): string {
  const reviews = Array.isArray(reply.reviews) ? (reply.reviews as Review[]) : [];
  const items = reviews.map(
    (review) => `<blockquote>
<p>${escapeHtml(String(review.text))}</p>
<small>${escapeHtml(String(review.reviewer))}</small>
${renderRating(review.rating)}
</blockquote>`,
  );
  return `${items.join('\n')}
<dl><dt>Reviews served by:</dt><dd><u>${escapeHtml(String(reply.podname ?? 'unknown'))}</u></dd></dl>`;
}

function renderRating(rating: Review['rating']): string {
  if (rating === undefined) return '';
  if ('error' in rating) return `<p class="error"><font color="red">${escapeHtml(String(rating.error))}</font></p>`;
  const stars = Math.max(0, Math.min(5, Math.round(Number(rating.stars) || 0)));
  const color = rating.color === 'red' ? 'red' : 'black';
  return `<p class="stars" style="color: ${color}" data-stars="${stars}">${'★'.repeat(stars)}${'☆'.repeat(5 - stars)}</p>`;
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}
