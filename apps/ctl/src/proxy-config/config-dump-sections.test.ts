import { describe, expect, it } from 'vitest';
import { configDumpSections } from './config-dump-sections.ts';
import { fixtureDump } from './fixtures.ts';

describe('configDumpSections', () => {
  it('gathers static and active dynamic resources, leaving out warming ones', () => {
    const sections = configDumpSections(fixtureDump('envoy-dump'));
    expect(sections.listeners.map((l) => l.name)).toEqual(['0.0.0.0_15021', '0.0.0.0_8080', 'virtualInbound']);
    expect(sections.clusters.map((c) => c.name)).toContain('prometheus_stats');
    expect(sections.clusters.map((c) => c.name)).not.toContain('outbound|9090||warming.shop.svc.cluster.local');
    expect(sections.routes.map((r) => r.name)).toEqual(['8080']);
    expect(sections.endpoints.map((e) => e.cluster_name)).toEqual(['prometheus_stats', 'outbound|8080|v2|api.shop.svc.cluster.local']);
    expect(sections.bootstrap?.node).toMatchObject({ cluster: 'details.shop' });
  });

  it('reads the dump built from istiod golden resources', () => {
    const sections = configDumpSections(fixtureDump('istiod-dump'));
    expect(sections.listeners).toHaveLength(5);
    expect(sections.clusters).toHaveLength(17);
    expect(sections.endpoints.length).toBeGreaterThan(0);
  });

  it('names what is wrong in a malformed dump', () => {
    expect(() => configDumpSections([])).toThrow('config dump: expected an object with "configs"');
    expect(() => configDumpSections({ configs: 'x' })).toThrow('"configs" is missing or not a list');
    expect(() => configDumpSections({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump', dynamic_active_clusters: {} }] })).toThrow(
      'configs[0].dynamic_active_clusters: expected a list',
    );
    expect(() =>
      configDumpSections({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump', dynamic_listeners: [{ active_state: { listener: 7 } }] }] }),
    ).toThrow('configs[0].dynamic_listeners[0].active_state.listener: expected an object');
  });
});
