import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchIstiodJson } from './istiod-client.ts';

describe('fetchIstiodJson', () => {
  let server: Server;
  let address = '';
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/debug/syncz') return response.end('[]');
      if (request.url === '/text') return response.end('not json');
      response.statusCode = 404;
      response.end(JSON.stringify({ error: `no such endpoint: ${request.url}` }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => void server.close());

  it('reads the JSON istiod answers', async () => {
    expect(await fetchIstiodJson(address, '/debug/syncz')).toEqual([]);
  });

  it("passes on istiod's error, and names a body that is not JSON", async () => {
    await expect(fetchIstiodJson(address, '/debug/nothing')).rejects.toThrow(`istiod at ${address}: /debug/nothing: no such endpoint: /debug/nothing`);
    await expect(fetchIstiodJson(address, '/text')).rejects.toThrow(`istiod at ${address}: /text answered 200 with a body that is not JSON`);
  });
});
