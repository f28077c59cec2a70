import { readFileSync } from 'node:fs';
import { loadDocuments, MemoryConfigStore } from '@mizzen/config';
import { normalize } from '@mizzen/xds';
import { beforeAll, describe, expect, it } from 'vitest';
import { destinationRuleFor } from '../model/destination-rules.ts';
import { buildPushContext, type PushContext } from '../model/push-context.ts';
import { sidecarFor, sidecarScope } from '../model/sidecar-scope.ts';
import { buildClusters } from './cluster-builder.ts';
import { buildRoutes } from './http-route.ts';
import { buildListeners } from './listener-builder.ts';
import type { JsonObject } from './envoy-json.ts';
import { codecLoadTimeout, expectGolden, loadEnvoyCodec, podProxy } from './test-fixtures.ts';
import { retryPolicy } from './virtual-service-route.ts';

// The mesh config's mesh-wide settings as each generator takes them, and the resources that
// override them (Sidecar, DestinationRule, VirtualService).

function meshConfigMap(...lines: string[]): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: istio, namespace: istio-system }\ndata:\n  mesh: |\n${lines.map((l) => `    ${l}`).join('\n')}\n`;
}

function pushWith(...documents: string[]): PushContext {
  const text = [readFileSync(new URL('./testdata/bookinfo.yaml', import.meta.url), 'utf8'), ...documents].join('\n---\n');
  const loaded = loadDocuments(text, 'mesh.yaml');
  expect(loaded.errors).toEqual([]);
  const store = new MemoryConfigStore();
  store.replaceAll(loaded.objects);
  return buildPushContext(store, 'test');
}

const productpage = podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage', version: 'v1' }, 'REDIRECT');
const reviewsCluster = 'outbound|9080||reviews.default.svc.cluster.local';

function cluster(push: PushContext, name: string): JsonObject {
  const found = buildClusters(push, productpage).find((c) => c.name === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
}

/** The route actions of the 9080 route configuration's virtual host for a service. */
function routeActions(push: PushContext, host: string): JsonObject[] {
  const [config] = buildRoutes(push, productpage, ['9080']) as { virtual_hosts: { name: string; routes: { route: JsonObject }[] }[] }[];
  const virtualHost = config.virtual_hosts.find((v) => v.name === `${host}:9080`);
  if (!virtualHost) throw new Error(`no virtual host ${host}:9080`);
  return virtualHost.routes.map((r) => r.route);
}

const catchAll = (push: PushContext) => JSON.stringify(buildListeners(push, productpage).find((l) => l.name === 'virtualOutbound'));

beforeAll(loadEnvoyCodec, codecLoadTimeout);

describe('outboundTrafficPolicy of the mesh config', () => {
  it('sends unknown destinations to the black hole mesh-wide under REGISTRY_ONLY', () => {
    const push = pushWith(meshConfigMap('outboundTrafficPolicy: { mode: REGISTRY_ONLY }'));
    expect(sidecarScope(push, productpage).outboundTrafficPolicy).toBe('REGISTRY_ONLY');
    expect(catchAll(push)).toContain('"cluster":"BlackHoleCluster"');
    expect(catchAll(push)).not.toContain('PassthroughCluster');
    const [config] = buildRoutes(push, productpage, ['9080']) as { virtual_hosts: { name: string }[] }[];
    expect(config.virtual_hosts.map((v) => v.name)).toContain('block_all');
  });

  it("yields to a Sidecar's own policy", () => {
    const sidecar = `apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: { name: default, namespace: default }\nspec:\n  outboundTrafficPolicy: { mode: ALLOW_ANY }`;
    const push = pushWith(meshConfigMap('outboundTrafficPolicy: { mode: REGISTRY_ONLY }'), sidecar);
    expect(sidecarScope(push, productpage).outboundTrafficPolicy).toBe('ALLOW_ANY');
    expect(catchAll(push)).toContain('"cluster":"PassthroughCluster"');
    // A Sidecar that says nothing of it takes the mesh's.
    const silent = `apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: { name: default, namespace: default }\nspec:\n  egress: [{ hosts: ["./*"] }]`;
    expect(sidecarScope(pushWith(meshConfigMap('outboundTrafficPolicy: { mode: REGISTRY_ONLY }'), silent), productpage).outboundTrafficPolicy).toBe('REGISTRY_ONLY');
  });

  it('is ALLOW_ANY without a mesh config', () => {
    expect(catchAll(pushWith())).toContain('"cluster":"PassthroughCluster"');
  });
});

describe('defaultHttpRetryPolicy of the mesh config', () => {
  const mesh = meshConfigMap('defaultHttpRetryPolicy: { attempts: 5, retryOn: "gateway-error,429", perTryTimeout: 3s }');
  const expected = retryPolicy({ attempts: 5, retryOn: 'gateway-error,429', perTryTimeout: '3s' }, false);

  it('replaces the default retry policy of routes without a VirtualService', () => {
    const [action] = routeActions(pushWith(mesh), 'reviews.default.svc.cluster.local');
    expect(action.retry_policy).toEqual(expected);
    expect(action.retry_policy).toMatchObject({ retry_on: 'gateway-error,retriable-status-codes', num_retries: 5, per_try_timeout: '3s', retriable_status_codes: [429] });
  });

  it('applies to VirtualService routes without retries, and not to those with their own', () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - match: [{ uri: { prefix: /own } }]
    retries: { attempts: 1, retryOn: connect-failure }
    route: [{ destination: { host: reviews } }]
  - route: [{ destination: { host: reviews } }]`;
    const [own, fallback] = routeActions(pushWith(mesh, vs), 'reviews.default.svc.cluster.local');
    expect(own.retry_policy).toMatchObject({ retry_on: 'connect-failure', num_retries: 1 });
    expect(fallback.retry_policy).toEqual(expected);
  });

  it('turns default retries off with zero attempts', () => {
    const [action] = routeActions(pushWith(meshConfigMap('defaultHttpRetryPolicy: { attempts: 0 }')), 'reviews.default.svc.cluster.local');
    expect(action).not.toHaveProperty('retry_policy');
  });

  it("keeps Istio's default without one", () => {
    const [action] = routeActions(pushWith(), 'reviews.default.svc.cluster.local');
    expect(action.retry_policy).toEqual(retryPolicy(undefined, false));
    expect(action.retry_policy).toMatchObject({ num_retries: 2 });
  });
});

describe('connectTimeout and tcpKeepalive of the mesh config', () => {
  const mesh = meshConfigMap('connectTimeout: 2.5s', 'tcpKeepalive: { probes: 4, time: 600s, interval: 30s }');
  const rule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings }
spec:
  host: ratings
  trafficPolicy:
    connectionPool:
      tcp: { connectTimeout: 250ms, tcpKeepalive: { time: 60s } }`;

  it('apply to every cluster that has no DestinationRule settings of its own', () => {
    const push = pushWith(mesh);
    for (const c of buildClusters(push, productpage)) expect(c.connect_timeout, c.name as string).toBe('2.5s');
    expect(cluster(push, reviewsCluster).upstream_connection_options).toEqual({ tcp_keepalive: { keepalive_probes: 4, keepalive_time: 600, keepalive_interval: 30 } });
  });

  it("yield to a DestinationRule's, keepalive field by field", () => {
    const ratings = cluster(pushWith(mesh, rule), 'outbound|9080||ratings.default.svc.cluster.local');
    expect(ratings.connect_timeout).toBe('0.250s');
    expect(ratings.upstream_connection_options).toEqual({ tcp_keepalive: { keepalive_probes: 4, keepalive_time: 60, keepalive_interval: 30 } });
  });

  it("are Istio's 10s and no keepalive without a mesh config", () => {
    const reviews = cluster(pushWith(), reviewsCluster);
    expect(reviews.connect_timeout).toBe('10s');
    expect(reviews).not.toHaveProperty('upstream_connection_options');
  });

  it('give clusters Envoy accepts, as in the golden file', () => {
    const push = pushWith(mesh, rule);
    const clusters = ['BlackHoleCluster', reviewsCluster, 'outbound|9080||ratings.default.svc.cluster.local'].map((name) => cluster(push, name));
    for (const c of clusters) normalize('envoy.config.cluster.v3.Cluster', c);
    expectGolden('mesh-config-clusters', clusters);
  });
});

describe('rootNamespace of the mesh config', () => {
  const meshDefaultSidecar = (namespace: string) =>
    `apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: { name: default, namespace: ${namespace} }\nspec:\n  egress: [{ hosts: ["./*"] }]`;
  const rootRule = (namespace: string, name: string, lb: string, host = '*.default.svc.cluster.local') =>
    `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n  host: "${host}"\n  trafficPolicy: { loadBalancer: { simple: ${lb} } }`;

  it('is where the mesh-wide default Sidecar lives', () => {
    const mesh = meshConfigMap('rootNamespace: mesh-root');
    expect(sidecarFor(pushWith(mesh, meshDefaultSidecar('mesh-root')), productpage)?.metadata.namespace).toBe('mesh-root');
    // istio-system is no longer the root: its Sidecar without selector applies to nobody else.
    expect(sidecarFor(pushWith(mesh, meshDefaultSidecar('istio-system')), productpage)).toBeUndefined();
    expect(sidecarFor(pushWith(meshDefaultSidecar('istio-system')), productpage)?.metadata.namespace).toBe('istio-system');
  });

  it('holds DestinationRules that apply mesh-wide after the namespace’s own', () => {
    const mesh = meshConfigMap('rootNamespace: mesh-root');
    const push = pushWith(mesh, rootRule('mesh-root', 'mesh-wide', 'RANDOM'), rootRule('elsewhere', 'other', 'LEAST_REQUEST'));
    expect(destinationRuleFor(push, 'default', 'reviews.default.svc.cluster.local', 'default')?.metadata.name).toBe('mesh-wide');
    expect(cluster(push, reviewsCluster).lb_policy).toBe('RANDOM');
    const withOwn = pushWith(mesh, rootRule('mesh-root', 'mesh-wide', 'RANDOM'), rootRule('default', 'own', 'LEAST_REQUEST', 'reviews'));
    expect(cluster(withOwn, reviewsCluster).lb_policy).toBe('LEAST_REQUEST');
    expect(cluster(withOwn, 'outbound|9080||ratings.default.svc.cluster.local').lb_policy).toBe('RANDOM');
  });
});
