import { readFileSync, writeFileSync } from 'node:fs';
import { loadDocuments, MemoryConfigStore } from '@mizzen/config';
import { expect } from 'vitest';
import { parseProxyNode, type InterceptionMode, type Proxy } from '../model/proxy.ts';
import { buildPushContext, type PushContext } from '../model/push-context.ts';

// Shared by the generator tests: the Bookinfo folder as a push context, proxies of its pods,
// and golden files.

export function bookinfoPush(): PushContext {
  const url = new URL('./testdata/bookinfo.yaml', import.meta.url);
  const { objects, errors } = loadDocuments(readFileSync(url, 'utf8'), 'bookinfo.yaml');
  if (errors.length > 0) throw errors[0];
  const store = new MemoryConfigStore();
  store.replaceAll(objects);
  return buildPushContext(store, 'test');
}

export function podProxy(podName: string, ip: string, labels: Record<string, string>, mode: InterceptionMode): Proxy {
  return parseProxyNode({
    id: `sidecar~${ip}~${podName}.default~default.svc.cluster.local`,
    metadata: { NAME: podName, NAMESPACE: 'default', LABELS: labels, INTERCEPTION_MODE: mode, INSTANCE_IPS: ip },
  });
}

/** Compares with testdata/golden/NAME.json; UPDATE_GOLDEN=1 rewrites the file instead. */
export function expectGolden(name: string, actual: unknown): void {
  const url = new URL(`./testdata/golden/${name}.json`, import.meta.url);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(url, text);
  expect(text).toBe(readFileSync(url, 'utf8'));
}
