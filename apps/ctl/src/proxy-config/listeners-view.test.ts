import { describe, expect, it } from 'vitest';
import { configDumpSections } from './config-dump-sections.ts';
import { fixtureDump } from './fixtures.ts';
import { describeChainMatch, listenerCells, listenerRows, listenerType } from './listeners-view.ts';

const envoy = configDumpSections(fixtureDump('envoy-dump')).listeners;
const istiod = configDumpSections(fixtureDump('istiod-dump')).listeners;

describe('listener view', () => {
  it('shows a row per filter chain of an Envoy dump, default chain last', () => {
    expect(listenerRows(envoy).map(listenerCells)).toEqual([
      ['0.0.0.0,::', '8080', 'Trans: raw_buffer; App: http/1.1,h2c', 'Route: 8080'],
      ['0.0.0.0,::', '8080', 'ALL', 'PassthroughCluster'],
      ['0.0.0.0', '15006', 'Trans: raw_buffer; Addr: 10.1.2.7/32; Port: 9080', 'WeightedClusters: inbound|9080||(100)'],
      ['0.0.0.0', '15006', 'SNI: details.shop.svc.cluster.local; Trans: tls', 'Non-HTTP/Non-TCP'],
      ['0.0.0.0', '15021', 'ALL', 'Inline Route: /healthz/ready*'],
    ]);
  });

  it("shows istiod's captured layout", () => {
    expect(listenerRows(istiod).map(listenerCells)).toEqual([
      ['0.0.0.0', '7070', 'ALL', 'Route: 7070'],
      ['0.0.0.0', '9080', 'ALL', 'Route: 9080'],
      ['0.0.0.0', '15001', 'Port: 15001', 'BlackHoleCluster'],
      ['0.0.0.0', '15001', 'ALL', 'PassthroughCluster'],
      ['0.0.0.0', '15006', 'Port: 9080', 'Inline Route: /*'],
      ['0.0.0.0', '15006', 'ALL', 'InboundPassthroughCluster'],
      ['10.96.0.13', '27017', 'ALL', 'Cluster: outbound|27017||mongodb.default.svc.cluster.local'],
    ]);
  });

  it('filters by port, address and type', () => {
    expect(listenerRows(istiod, { port: 15001 })).toHaveLength(2);
    expect(listenerRows(istiod, { address: '10.96.0.13' }).map((r) => r.port)).toEqual(['27017']);
    expect(listenerRows(envoy, { address: '::' }).map((r) => r.port)).toEqual(['8080', '8080']);
    expect(listenerRows(istiod, { type: 'tcp' }).map((r) => r.port)).toEqual(['15001', '15001', '27017']);
    expect(listenerRows(istiod, { type: 'HTTP+TCP' }).map((r) => r.port)).toEqual(['15006', '15006']);
    expect(listenerType(envoy[1])).toBe('HTTP+TCP');
  });

  it('describes an empty match as ALL', () => {
    expect(describeChainMatch(undefined)).toBe('ALL');
    expect(describeChainMatch({})).toBe('ALL');
  });

  it('names a malformed listener field', () => {
    expect(() => listenerRows([{ name: 'bad', filter_chains: {} }])).toThrow('Listener bad.filter_chains: expected a list');
  });
});
