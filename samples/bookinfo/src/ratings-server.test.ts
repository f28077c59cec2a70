import { afterEach, describe, expect, it } from 'vitest';
import { createRatingsServer } from './ratings-server.ts';
import { closeAll, listen } from './test-servers.ts';

afterEach(closeAll);

describe('ratings', () => {
  it('answers each reviewer’s stars for an id, and its health', async () => {
    const port = await listen(createRatingsServer());
    const response = await fetch(`http://127.0.0.1:${port}/ratings/3`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 3, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ status: 'Ratings is healthy' });
  });

  it('names what is wrong with a bad request', async () => {
    const port = await listen(createRatingsServer());
    const bad = await fetch(`http://127.0.0.1:${port}/ratings/-1`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('/ratings/-1: the product id must be a whole number, got "-1"');
    expect((await fetch(`http://127.0.0.1:${port}/ratings`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/ratings/0`, { method: 'POST' })).status).toBe(405);
  });
});
