import { loadDocuments, MemoryConfigStore } from '@mizzen/config';
import { describe, expect, it } from 'vitest';
import { buildServiceRegistry, endpointKey } from './service-registry.ts';
import { selectorMatches } from './service.ts';

function storeOf(yaml: string): MemoryConfigStore {
  const { objects, errors } = loadDocuments(yaml, 'test.yaml');
  if (errors.length > 0) throw errors[0];
  const store = new MemoryConfigStore();
  store.replaceAll(objects);
  return store;
}

const pod = (name: string, labels: string, ip: string | undefined, ports = '[{ name: http-web, containerPort: 8080 }]', namespace = 'default') => `---
apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${namespace}, labels: ${labels} }
spec: { serviceAccountName: sa-${name}, containers: [{ name: app, ports: ${ports} }] }
${ip ? `status: { podIP: ${ip} }` : ''}
`;

const service = (ports: string, selector = '{ app: reviews }') => `---
apiVersion: v1
kind: Service
metadata: { name: reviews }
spec:
  clusterIP: 10.96.0.11
  selector: ${selector}
  ports: ${ports}
`;

describe('selectorMatches', () => {
  it('needs every selector label with the same value', () => {
    expect(selectorMatches({ app: 'reviews' }, { app: 'reviews', version: 'v1' })).toBe(true);
    expect(selectorMatches({ app: 'reviews', version: 'v2' }, { app: 'reviews', version: 'v1' })).toBe(false);
    expect(selectorMatches({ app: 'reviews' }, undefined)).toBe(false);
  });

  it('matches nothing without a selector', () => {
    expect(selectorMatches(undefined, { app: 'reviews' })).toBe(false);
  });
});

describe('buildServiceRegistry', () => {
  it('makes endpoints of the running pods a selector matches, in the service namespace only', () => {
    const store = storeOf(
      service('[{ name: http, port: 9080, targetPort: 8080 }]') +
        pod('reviews-1', '{ app: reviews, version: v1 }', '10.244.0.11') +
        pod('reviews-2', '{ app: reviews, version: v2 }', '10.244.0.12') +
        pod('reviews-pending', '{ app: reviews }', undefined) +
        pod('ratings-1', '{ app: ratings }', '10.244.0.13') +
        pod('reviews-elsewhere', '{ app: reviews }', '10.244.1.11', undefined, 'other'),
    );
    const registry = buildServiceRegistry(store);
    expect(registry.services.map((s) => [s.hostname, s.clusterIP, s.ports])).toEqual([
      ['reviews.default.svc.cluster.local', '10.96.0.11', [{ name: 'http', port: 9080, targetPort: 8080, protocol: 'HTTP' }]],
    ]);
    expect(registry.endpoints.get(endpointKey('reviews.default.svc.cluster.local', 9080))).toEqual([
      { address: '10.244.0.11', port: 8080, podName: 'reviews-1', namespace: 'default', labels: { app: 'reviews', version: 'v1' }, serviceAccount: 'sa-reviews-1' },
      { address: '10.244.0.12', port: 8080, podName: 'reviews-2', namespace: 'default', labels: { app: 'reviews', version: 'v2' }, serviceAccount: 'sa-reviews-2' },
    ]);
  });

  it('resolves named target ports per pod, and warns about pods without that port', () => {
    const store = storeOf(
      service('[{ name: http, port: 9080, targetPort: http-web }]') +
        pod('reviews-1', '{ app: reviews }', '10.244.0.11', '[{ name: http-web, containerPort: 8080 }]') +
        pod('reviews-2', '{ app: reviews }', '10.244.0.12', '[{ name: http-web, containerPort: 8081 }]') +
        pod('reviews-3', '{ app: reviews }', '10.244.0.13', '[{ name: admin, containerPort: 9000 }]'),
    );
    const registry = buildServiceRegistry(store);
    expect(registry.endpoints.get(endpointKey('reviews.default.svc.cluster.local', 9080))?.map((e) => `${e.address}:${e.port}`)).toEqual([
      '10.244.0.11:8080',
      '10.244.0.12:8081',
    ]);
    expect(registry.warnings).toEqual(['Service default/reviews port 9080: target port "http-web" is not a container port of Pod default/reviews-3']);
  });

  it('defaults the target port to the port, and reads protocols from names and appProtocol', () => {
    const store = storeOf(service('[{ name: grpc-api, port: 7070 }, { name: web, port: 80, appProtocol: http }, { name: mongo, port: 27017 }]'));
    expect(buildServiceRegistry(store).services[0].ports).toEqual([
      { name: 'grpc-api', port: 7070, targetPort: 7070, protocol: 'GRPC' },
      { name: 'web', port: 80, targetPort: 80, protocol: 'HTTP' },
      { name: 'mongo', port: 27017, targetPort: 27017, protocol: 'TCP' },
    ]);
  });

  it('gives a service without a selector no endpoints, and a headless one no virtual IP', () => {
    const store = storeOf(service('[{ name: http, port: 9080 }]', '{}').replace('10.96.0.11', 'None') + pod('reviews-1', '{ app: reviews }', '10.244.0.11'));
    const registry = buildServiceRegistry(store);
    expect(registry.services[0].clusterIP).toBeUndefined();
    expect(registry.endpoints.get(endpointKey('reviews.default.svc.cluster.local', 9080))).toEqual([]);
  });
});
