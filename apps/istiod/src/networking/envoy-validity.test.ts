import { normalize } from '@mizzen/xds';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InterceptionMode } from '../model/proxy.ts';
import { buildClusters } from './cluster-builder.ts';
import { buildEndpoints } from './endpoint-builder.ts';
import { buildRoutes } from './http-route.ts';
import { buildListeners } from './listener-builder.ts';
import { buildGatewayListeners, buildGatewayRoutes } from './gateway-builder.ts';
import { buildGatewaySecrets } from './gateway-secrets.ts';
import { bookinfoPush, codecLoadTimeout, loadEnvoyCodec, podProxy, routerProxy } from './test-fixtures.ts';

beforeAll(loadEnvoyCodec, codecLoadTimeout);

// Real Envoy clients must accept what istiod sends: every generated resource goes through the
// codec's proto3 JSON check and comes back unchanged (it is already in canonical form).
describe('generated resources', () => {
  const push = bookinfoPush();
  const cases: [string, InterceptionMode, string, Record<string, string>][] = [
    ['reviews-v1-1', 'REDIRECT', '10.244.0.11', { app: 'reviews', version: 'v1' }],
    ['reviews-v1-1', 'NONE', '10.244.0.11', { app: 'reviews', version: 'v1' }],
    ['mongodb-v1-1', 'REDIRECT', '10.244.0.14', { app: 'mongodb' }],
    ['mongodb-v1-1', 'NONE', '10.244.0.14', { app: 'mongodb' }],
    ['ratings-v1-1', 'REDIRECT', '10.244.0.13', { app: 'ratings' }],
  ];

  it.each(cases)('are valid Envoy JSON for %s in %s mode', (pod, mode, ip, labels) => {
    const proxy = podProxy(pod, ip, labels, mode);
    const resources = [...buildClusters(push, proxy), ...buildEndpoints(push), ...buildListeners(push, proxy), ...buildRoutes(push, proxy)];
    expect(resources.length).toBeGreaterThan(10);
    for (const resource of resources) {
      expect(normalize(resource['@type'] as string, resource)).toEqual(resource);
    }
  });

  // Istio's routing resources bring subsets, traffic policies, weighted and faulty routes.
  const traffic: [string, string[]][] = [
    ...['all-v1', 'reviews-test-v2', 'reviews-50-v3', 'ratings-test-delay', 'ratings-test-abort'].map(
      (task): [string, string[]] => [task, ['reviews-v3-pod.yaml', 'destination-rule-all.yaml', `virtual-service-${task}.yaml`]],
    ),
    ['traffic-policy', ['traffic-policy.yaml', 'virtual-service-ratings-test-abort.yaml']],
    ['mongodb-tcp', ['mongodb-tcp.yaml']],
    ['mongodb-subnets', ['mongodb-subnets.yaml']],
    ['tls-routes', ['tls-routes.yaml']],
    ['inbound-protocols', ['inbound-protocols.yaml']],
    ['service-entries', ['service-entries.yaml']],
    ['sidecar-scoping', ['sidecar-scoping.yaml']],
    ['sniffing', ['sniffing.yaml']],
  ];

  it.each(traffic)('are valid Envoy JSON with the %s routing', (_name, files) => {
    const push = bookinfoPush(...files);
    for (const mode of ['REDIRECT', 'NONE'] as const) {
      for (const proxy of [podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, mode), podProxy('reviews-v2-1', '10.244.0.12', { app: 'reviews', version: 'v2' }, mode)]) {
        const resources = [...buildClusters(push, proxy), ...buildEndpoints(push, undefined, proxy), ...buildListeners(push, proxy), ...buildRoutes(push, proxy)];
        for (const resource of resources) {
          expect(normalize(resource['@type'] as string, resource)).toEqual(resource);
        }
      }
    }
  });

  it.each([['bookinfo-gateway.yaml'], ['gateway-tls.yaml']])('are valid Envoy JSON for an ingress gateway with %s', (file) => {
    const push = bookinfoPush('ingress-gateway-pod.yaml', file);
    const proxy = routerProxy('istio-ingressgateway-1', '10.244.0.2', { istio: 'ingressgateway' });
    const secrets = buildGatewaySecrets(push, proxy, ['kubernetes://bookinfo-cert', 'kubernetes://reviews-cert', 'kubernetes://reviews-cert-cacert']);
    const resources = [...buildClusters(push, proxy), ...buildGatewayListeners(push, proxy), ...buildGatewayRoutes(push, proxy), ...secrets];
    for (const resource of resources) {
      expect(normalize(resource['@type'] as string, resource)).toEqual(resource);
    }
  });
});
