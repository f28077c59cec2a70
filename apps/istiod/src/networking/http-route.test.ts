import { describe, expect, it } from 'vitest';
import { buildRoutes, serviceDomains } from './http-route.ts';
import { bookinfoPush, expectGolden, podProxy } from './test-fixtures.ts';

describe('buildRoutes', () => {
  const push = bookinfoPush();
  const productpage = (mode: 'REDIRECT' | 'NONE') => podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, mode);

  it('matches the golden route configuration in both modes', () => {
    expectGolden('routes-productpage-redirect', buildRoutes(push, productpage('REDIRECT')));
    expectGolden('routes-productpage-none', buildRoutes(push, productpage('NONE')));
  });

  it('has a virtual host per HTTP service on the port, and only REDIRECT passes unknown hosts through', () => {
    const [redirect] = buildRoutes(push, productpage('REDIRECT'), ['9080']);
    expect((redirect.virtual_hosts as { name: string }[]).map((v) => v.name)).toEqual([
      'productpage.default.svc.cluster.local:9080',
      'ratings.default.svc.cluster.local:9080',
      'reviews.default.svc.cluster.local:9080',
      'allow_any',
    ]);
    const [none] = buildRoutes(push, productpage('NONE'), ['9080']);
    expect((none.virtual_hosts as { name: string }[]).map((v) => v.name)).not.toContain('allow_any');
  });

  it('has a route configuration per HTTP port, gRPC included', () => {
    expect(buildRoutes(push, productpage('REDIRECT')).map((r) => r.name)).toEqual(['7070', '9080']);
  });

  it('returns only subscribed route names, and none for TCP ports', () => {
    expect(buildRoutes(push, productpage('NONE'), ['9080', '27017']).map((r) => r.name)).toEqual(['9080']);
  });
});

describe('serviceDomains', () => {
  const service = { name: 'reviews', namespace: 'default', hostname: 'reviews.default.svc.cluster.local', clusterIP: '10.96.0.11', ports: [] };

  it('lists short names only for proxies in the same namespace', () => {
    expect(serviceDomains(service, 9080, 'default')).toEqual([
      'reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local:9080',
      'reviews',
      'reviews:9080',
      'reviews.default.svc',
      'reviews.default.svc:9080',
      'reviews.default',
      'reviews.default:9080',
      '10.96.0.11',
      '10.96.0.11:9080',
    ]);
    expect(serviceDomains(service, 9080, 'other')).not.toContain('reviews');
  });
});

describe('buildRoutes without capture', () => {
  const push = bookinfoPush();
  const proxy = podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, 'NONE');

  it('sends any host to the service when one service owns the port', () => {
    const [grpc] = buildRoutes(push, proxy, ['7070']);
    expect(grpc.virtual_hosts).toContainEqual(
      expect.objectContaining({ name: 'loopback:7070', domains: ['*'], routes: [expect.objectContaining({ route: expect.objectContaining({ cluster: 'outbound|7070||ratings.default.svc.cluster.local', timeout: '0s' }) })] }),
    );
  });

  it('needs a Host naming the service when several share the port', () => {
    const [shared] = buildRoutes(push, proxy, ['9080']);
    expect((shared.virtual_hosts as { domains: string[] }[]).flatMap((v) => v.domains)).not.toContain('*');
  });
});
