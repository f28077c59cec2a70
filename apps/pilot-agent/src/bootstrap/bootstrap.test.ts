import { readFileSync, writeFileSync } from 'node:fs';
import { normalize } from '@mizzen/xds';
import { describe, expect, it } from 'vitest';
import { buildBootstrap, type BootstrapInput } from './bootstrap.ts';
import { readPodIdentity } from './pod-identity.ts';

// Golden files hold the expected bootstrap; UPDATE_GOLDEN=1 rewrites them after a deliberate change.
function expectGolden(name: string, actual: unknown): void {
  const url = new URL(`./testdata/${name}.json`, import.meta.url);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN) writeFileSync(url, text);
  expect(text).toBe(readFileSync(url, 'utf8'));
}

function input(env: NodeJS.ProcessEnv, overrides: Partial<BootstrapInput> = {}): BootstrapInput {
  return {
    identity: readPodIdentity(env, () => []),
    domain: `${env.POD_NAMESPACE ?? 'default'}.svc.cluster.local`,
    discovery: { host: 'istiod.istio-system.svc', ip: '10.96.0.10', port: 15010 },
    adminPort: 15000,
    statusPort: 15021,
    concurrency: 2,
    drainDurationMs: 45_000,
    binaryPath: 'mizzen-proxy',
    configPath: '/etc/istio/proxy',
    proxyVersion: '0.1.0',
    ...overrides,
  };
}

const reviews = {
  POD_NAME: 'reviews-v1-7d8f9c-x2x4z',
  POD_NAMESPACE: 'bookinfo',
  INSTANCE_IP: '10.244.0.7',
  SERVICE_ACCOUNT: 'bookinfo-reviews',
  ISTIO_META_WORKLOAD_NAME: 'reviews-v1',
  ISTIO_METAJSON_LABELS: '{"app":"reviews","version":"v1"}',
};

describe('buildBootstrap', () => {
  it('writes a sidecar bootstrap for an injected pod', () => {
    expectGolden('sidecar', buildBootstrap(input(reviews)));
  });

  it('lets ISTIO_META_ variables set the capture mode and other metadata', () => {
    const env = { ...reviews, ISTIO_META_INTERCEPTION_MODE: 'NONE', ISTIO_META_CLUSTER_ID: 'east', ISTIO_META_MESH_ID: 'mesh1' };
    expectGolden('interception-none', buildBootstrap(input(env)));
  });

  it('names the cluster after the pod when it has no app label, and points at an IPv6 istiod', () => {
    const env = { POD_NAME: 'sleep', POD_NAMESPACE: 'default', INSTANCE_IP: 'fd00:10:244::5,10.244.0.5' };
    const bootstrap = buildBootstrap(input(env, { discovery: { host: 'fd00::10', ip: 'fd00::10', port: 15010 }, adminPort: 25000, concurrency: 0 }));
    expectGolden('bare-pod-ipv6', bootstrap);
  });

  it('points xds-grpc at the agent’s unix socket when the local xDS proxy carries the stream', () => {
    expectGolden('xds-proxy', buildBootstrap(input(reviews, { xdsSocket: '/etc/istio/proxy/XDS' })));
  });

  it('is a valid Envoy v3 bootstrap, already in canonical form', () => {
    for (const bootstrap of [buildBootstrap(input(reviews)), buildBootstrap(input(reviews, { xdsSocket: '/etc/istio/proxy/XDS' })), buildBootstrap(input({ INSTANCE_IP: 'fd00::5' }, { discovery: { host: 'fd00::10', ip: 'fd00::10', port: 15010 } }))]) {
      expect(normalize('envoy.config.bootstrap.v3.Bootstrap', bootstrap)).toEqual(bootstrap);
    }
  });

  it('derives the node id and cluster as istiod expects', () => {
    const node = buildBootstrap(input(reviews)).node!;
    expect(node.id).toBe('sidecar~10.244.0.7~reviews-v1-7d8f9c-x2x4z.bookinfo~bookinfo.svc.cluster.local');
    expect(node.cluster).toBe('reviews.bookinfo');
    expect(buildBootstrap(input(reviews, { proxyType: 'router' })).node!.id).toBe('router~10.244.0.7~reviews-v1-7d8f9c-x2x4z.bookinfo~bookinfo.svc.cluster.local');
  });
});
