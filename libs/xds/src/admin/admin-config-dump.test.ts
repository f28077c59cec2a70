import { describe, expect, it } from 'vitest';
import { loadAssignment, outboundCluster, outboundHttpListener, sidecarBootstrap } from '../fixtures/istio-resources.ts';
import { decode, encode } from '../json/codec.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { adminConfigDump } from './admin-config-dump.ts';

describe('adminConfigDump', () => {
  const staticCluster = (sidecarBootstrap.static_resources as { clusters: Record<string, unknown>[] }).clusters[0]!;
  const dump = adminConfigDump({
    bootstrap: sidecarBootstrap,
    bootstrapUpdated: new Date('2026-11-25T11:00:00Z'),
    clusters: [
      { resource: staticCluster, static: true, lastUpdated: '2026-11-25T11:00:00Z' },
      { resource: outboundCluster, version: '3', lastUpdated: new Date('2026-11-25T11:00:01.250Z') },
    ],
    clustersVersion: '3',
    listeners: [{ resource: { '@type': TypeUrl.Listener, ...outboundHttpListener }, version: '4' }],
    listenersVersion: '4',
    routes: [{ resource: { name: '9080', virtual_hosts: [{ name: 'allow_any', domains: ['*'] }] }, version: '5' }],
    endpoints: [{ resource: loadAssignment, version: '6' }],
  });

  it('has Envoy’s sections in Envoy’s order', () => {
    const configs = dump.configs as Record<string, unknown>[];
    expect(configs.map((c) => c['@type'])).toEqual([
      TypeUrl.BootstrapConfigDump,
      TypeUrl.ClustersConfigDump,
      TypeUrl.ListenersConfigDump,
      TypeUrl.RoutesConfigDump,
      TypeUrl.EndpointsConfigDump,
    ]);
  });

  it('puts each resource where Envoy does, packed with its @type', () => {
    const [bootstrap, clusters, listeners, routes, endpoints] = dump.configs as Record<string, unknown>[];
    expect(bootstrap).toEqual({ '@type': TypeUrl.BootstrapConfigDump, bootstrap: sidecarBootstrap, last_updated: '2026-11-25T11:00:00Z' });
    expect(clusters).toEqual({
      '@type': TypeUrl.ClustersConfigDump,
      version_info: '3',
      static_clusters: [{ cluster: { '@type': TypeUrl.Cluster, ...staticCluster }, last_updated: '2026-11-25T11:00:00Z' }],
      dynamic_active_clusters: [
        { version_info: '3', cluster: { '@type': TypeUrl.Cluster, ...outboundCluster }, last_updated: '2026-11-25T11:00:01.250Z' },
      ],
    });
    expect(listeners).toEqual({
      '@type': TypeUrl.ListenersConfigDump,
      version_info: '4',
      dynamic_listeners: [
        { name: '0.0.0.0_9080', active_state: { version_info: '4', listener: { '@type': TypeUrl.Listener, ...outboundHttpListener } } },
      ],
    });
    expect(routes).toEqual({
      '@type': TypeUrl.RoutesConfigDump,
      dynamic_route_configs: [
        { version_info: '5', route_config: { '@type': TypeUrl.RouteConfiguration, name: '9080', virtual_hosts: [{ name: 'allow_any', domains: ['*'] }] } },
      ],
    });
    expect(endpoints).toEqual({
      '@type': TypeUrl.EndpointsConfigDump,
      dynamic_endpoint_configs: [{ version_info: '6', endpoint_config: { '@type': TypeUrl.ClusterLoadAssignment, ...loadAssignment } }],
    });
  });

  it('is a valid ConfigDump message', () => {
    expect(decode(TypeUrl.ConfigDump, encode(TypeUrl.ConfigDump, dump))).toEqual(dump);
  });

  it('names the resource field that does not fit', () => {
    expect(() => adminConfigDump({ clusters: [{ resource: { name: 'c', lb_policy: 'FASTEST' } }] })).toThrow(
      'ConfigDump.configs[0].dynamic_active_clusters[0].cluster.lb_policy: unknown LbPolicy value "FASTEST"',
    );
  });
});
