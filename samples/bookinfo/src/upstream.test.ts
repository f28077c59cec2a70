import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@mizzen/testing';
import { upstreamFromEnv } from './app-options.ts';
import { answerJson, closeAll, fakeService, neverAnswer } from './test-servers.ts';
import { getJson } from './upstream.ts';

afterEach(closeAll);

describe('upstream calls', () => {
  it('connects to the dial address while the Host header names the service', async () => {
    const fake = await fakeService(answerJson({ ok: true }));
    const upstream = upstreamFromEnv({ RATINGS_URL: `http://ratings:${fake.port}`, OUTBOUND_ADDRESS: '127.0.0.1' }, 'RATINGS_URL', 'http://ratings:9080');
    const reply = await getJson(upstream, '/ratings/0', { 'x-request-id': 'r1' }, 2_000);
    expect(reply).toEqual({ status: 200, body: { ok: true } });
    expect(fake.requests[0].path).toBe('/ratings/0');
    expect(fake.requests[0].headers).toMatchObject({ host: `ratings:${fake.port}`, 'x-request-id': 'r1' });
  });

  it('keeps Istio’s service URL when env gives none, and rejects a bad one', () => {
    expect(upstreamFromEnv({}, 'DETAILS_URL', 'http://details:9080')).toEqual({ url: new URL('http://details:9080'), dialAddress: undefined });
    expect(() => upstreamFromEnv({ DETAILS_URL: 'details' }, 'DETAILS_URL', 'http://details:9080')).toThrow('DETAILS_URL: "details" is not a URL');
    expect(() => upstreamFromEnv({ DETAILS_URL: 'https://details' }, 'DETAILS_URL', 'http://details:9080')).toThrow('must be an http:// URL');
  });

  it('rejects naming the URL when nothing answers in time or nothing listens', async () => {
    const fake = await fakeService(neverAnswer);
    await expect(getJson({ url: fake.url }, '/x', {}, 50)).rejects.toThrow(`GET http://127.0.0.1:${fake.port}/x: no answer within 50 ms`);
    const port = await freePort();
    await expect(getJson({ url: new URL(`http://127.0.0.1:${port}`) }, '/y', {}, 2_000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('upstream calls cut short', () => {
  it('rejects when the answer starts but never ends in time', async () => {
    const fake = await fakeService((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).write('{"id":'));
    await expect(getJson({ url: fake.url }, '/z', {}, 100)).rejects.toThrow(`GET http://127.0.0.1:${fake.port}/z: no answer within 100 ms`);
  });
});
