import { afterEach, describe, expect, it } from 'vitest';
import { bookDetails, createDetailsServer } from './details-server.ts';
import { closeAll, listen } from './test-servers.ts';

afterEach(closeAll);

describe('details', () => {
  it('answers the book details for an id, and its health', async () => {
    const port = await listen(createDetailsServer());
    const response = await fetch(`http://127.0.0.1:${port}/details/7`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(bookDetails(7));
    expect(bookDetails(7)).toMatchObject({ id: 7, author: 'William Shakespeare', 'ISBN-10': '1234567890' });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('names what is wrong with a bad request', async () => {
    const port = await listen(createDetailsServer());
    const bad = await fetch(`http://127.0.0.1:${port}/details/one`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: '/details/one: the product id must be a whole number, got "one"' });
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/details/0`, { method: 'DELETE' })).status).toBe(405);
  });
});
