import { readFileSync } from 'node:fs';

/** The test dumps: one assembled from istiod's golden outputs, one written from Envoy's docs. */
export function fixtureDump(name: 'istiod-dump' | 'envoy-dump'): unknown {
  return JSON.parse(readFileSync(new URL(`./testdata/${name}.json`, import.meta.url), 'utf8')) as unknown;
}
