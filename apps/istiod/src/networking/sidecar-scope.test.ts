import { describe, expect, it } from 'vitest';
import { parseProxyNode } from '../model/proxy.ts';
import { sidecarFor, visibleServicePorts } from '../model/sidecar-scope.ts';
import { buildClusters } from './cluster-builder.ts';
import { buildRoutes } from './http-route.ts';
import { buildListeners } from './listener-builder.ts';
import { bookinfoPush, expectGolden, podProxy } from './test-fixtures.ts';

const outbound = (names: unknown[]) => (names as string[]).filter((n) => n.startsWith('outbound|'));

describe('Sidecar scoping', () => {
  const push = bookinfoPush('sidecar-scoping.yaml');
  const productpage = podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, 'REDIRECT');
  const reviews = podProxy('reviews-v1-1', '10.244.0.11', { app: 'reviews', version: 'v1' }, 'REDIRECT');
  const echo = parseProxyNode({ id: 'sidecar~10.244.2.5~echo-1.other~other.svc.cluster.local', metadata: { LABELS: { app: 'echo' } } });

  it('matches the golden config of a proxy under a workload Sidecar', () => {
    expectGolden('sidecar-productpage-clusters', outbound(buildClusters(push, productpage).map((c) => c.name)));
    expectGolden('sidecar-productpage-listeners', buildListeners(push, productpage));
    expectGolden('sidecar-productpage-routes', buildRoutes(push, productpage));
  });

  it('picks the workload Sidecar, then the namespace default, then the root namespace default', () => {
    expect(sidecarFor(push, productpage)?.metadata.name).toBe('productpage');
    expect(sidecarFor(push, reviews)?.metadata).toMatchObject({ name: 'default', namespace: 'istio-system' });
    expect(sidecarFor(bookinfoPush(), reviews)).toBeUndefined();
  });

  it('limits clusters, listeners and routes to the egress hosts', () => {
    expect(outbound(buildClusters(push, productpage).map((c) => c.name))).toEqual([
      'outbound|7070||ratings.default.svc.cluster.local',
      'outbound|9080||ratings.default.svc.cluster.local',
      'outbound|9080||reviews.default.svc.cluster.local',
    ]);
    expect(buildListeners(push, productpage).map((l) => l.name)).toEqual(['0.0.0.0_7070', '0.0.0.0_9080', 'virtualInbound', 'virtualOutbound']);
    const [route] = buildRoutes(push, productpage, ['9080']) as { virtual_hosts: { name: string }[] }[];
    expect(route.virtual_hosts.map((v) => v.name)).toEqual(['ratings.default.svc.cluster.local:9080', 'reviews.default.svc.cluster.local:9080', 'allow_any']);
  });

  it('reads "." of the mesh default as the proxy’s namespace, and honours exportTo', () => {
    expect(visibleServicePorts(push, reviews).map((p) => p.service.namespace)).not.toContain('other');
    expect(visibleServicePorts(push, echo).map((p) => p.service.hostname)).toEqual(['echo.other.svc.cluster.local', 'private-echo.other.svc.cluster.local']);
    // Without any Sidecar, exportTo alone hides private-echo from the default namespace.
    const open = bookinfoPush('sidecar-scoping.yaml');
    open.sidecars = [];
    expect(visibleServicePorts(open, reviews).map((p) => p.service.hostname)).toContain('echo.other.svc.cluster.local');
    expect(visibleServicePorts(open, reviews).map((p) => p.service.hostname)).not.toContain('private-echo.other.svc.cluster.local');
  });

  it('sends unknown traffic to the black hole under REGISTRY_ONLY', () => {
    const listeners = buildListeners(push, reviews);
    const virtualOutbound = listeners.find((l) => l.name === 'virtualOutbound') as { filter_chains: { name: string; filters: { typed_config: { cluster: string } }[] }[] };
    expect(virtualOutbound.filter_chains.find((c) => c.name === 'virtualOutbound-catchall-tcp')?.filters[0].typed_config.cluster).toBe('BlackHoleCluster');
    const [route] = buildRoutes(push, reviews, ['9080']) as { virtual_hosts: { name: string; routes: unknown[] }[] }[];
    expect(route.virtual_hosts.at(-1)).toMatchObject({ name: 'block_all', routes: [{ direct_response: { status: 502 } }] });
  });
});
