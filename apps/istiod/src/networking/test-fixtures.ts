import { readFileSync, writeFileSync } from 'node:fs';
import { loadDocuments, MemoryConfigStore } from '@mizzen/config';
import { normalize } from '@mizzen/xds';
import { expect } from 'vitest';
import { parseProxyNode, type InterceptionMode, type Proxy } from '../model/proxy.ts';
import { buildPushContext, type PushContext } from '../model/push-context.ts';

// Shared by the generator tests: the Bookinfo folder as a push context, proxies of its pods,
// and golden files.

/** Bookinfo, plus the named files of testdata/traffic (Istio's routing resources). */
export function bookinfoPush(...trafficFiles: string[]): PushContext {
  const files = ['bookinfo.yaml', ...trafficFiles.map((f) => `traffic/${f}`)];
  const objects = files.flatMap((file) => {
    const loaded = loadDocuments(readFileSync(new URL(`./testdata/${file}`, import.meta.url), 'utf8'), file);
    if (loaded.errors.length > 0) throw loaded.errors[0];
    return loaded.objects;
  });
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

/** A gateway proxy (`pilot-agent proxy router`) of a pod. */
export function routerProxy(podName: string, ip: string, labels: Record<string, string>, namespace = 'istio-system'): Proxy {
  return parseProxyNode({
    id: `router~${ip}~${podName}.${namespace}~${namespace}.svc.cluster.local`,
    metadata: { NAME: podName, NAMESPACE: namespace, LABELS: labels, INSTANCE_IPS: ip },
  });
}

/** Compares with testdata/golden/NAME.json; UPDATE_GOLDEN=1 rewrites the file instead. */
export function expectGolden(name: string, actual: unknown): void {
  const url = new URL(`./testdata/golden/${name}.json`, import.meta.url);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(url, text);
  expect(text).toBe(readFileSync(url, 'utf8'));
}

/** Loads Envoy's protos for the JSON codec once, outside any one test's time limit: the first
 *  `normalize` of a run reads the whole proto tree, which takes seconds on a loaded machine. */
export function loadEnvoyCodec(): void {
  normalize('envoy.config.cluster.v3.Cluster', { name: 'warm-up' });
}

/** The time loadEnvoyCodec may take. */
export const codecLoadTimeout = 60_000;
