import { describe, expect, it } from 'vitest';
import { buildListeners } from './listener-builder.ts';
import { bookinfoPush, podProxy } from './test-fixtures.ts';

type Listener = { name: string; filter_chains: { filter_chain_match?: unknown; filters: { typed_config: Record<string, unknown> }[] }[] };

function mongoProxy(files: string[], mode: 'REDIRECT' | 'NONE', name: string): Record<string, unknown> {
  const listeners = buildListeners(bookinfoPush(...files), podProxy('ratings-v1-1', '10.244.0.13', { app: 'ratings', version: 'v1' }, mode)) as Listener[];
  const listener = listeners.find((l) => l.name === name);
  if (!listener) throw new Error(`no listener ${name}`);
  return listener.filter_chains[0].filters[0].typed_config;
}

describe('TCP routes', () => {
  it('split a TCP service by weight in both interception modes', () => {
    const weighted = {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
      stat_prefix: 'outbound|27017||mongodb.default.svc.cluster.local',
      weighted_clusters: {
        clusters: [
          { name: 'outbound|27017|v1|mongodb.default.svc.cluster.local', weight: 80 },
          { name: 'outbound|27017|v2|mongodb.default.svc.cluster.local', weight: 20 },
        ],
      },
    };
    expect(mongoProxy(['mongodb-tcp.yaml'], 'REDIRECT', '10.96.0.13_27017')).toEqual(weighted);
    expect(mongoProxy(['mongodb-tcp.yaml'], 'NONE', '127.0.0.1_27017')).toEqual(weighted);
  });

  it('hash a single destination by source IP when its DestinationRule says so, as Istio does', () => {
    const sticky = { cluster: 'outbound|27017||mongodb.default.svc.cluster.local', hash_policy: [{ source_ip: {} }] };
    expect(mongoProxy(['mongodb-source-ip.yaml'], 'REDIRECT', '10.96.0.13_27017')).toMatchObject(sticky);
    expect(mongoProxy(['mongodb-source-ip.yaml'], 'NONE', '127.0.0.1_27017')).toMatchObject(sticky);
    // A weighted split has no single destination to hash for.
    expect(mongoProxy(['mongodb-tcp.yaml', 'mongodb-source-ip.yaml'], 'REDIRECT', '10.96.0.13_27017')).not.toHaveProperty('hash_policy');
    expect(mongoProxy([], 'REDIRECT', '10.96.0.13_27017')).not.toHaveProperty('hash_policy');
  });

  it('keep the service cluster without a VirtualService', () => {
    expect(mongoProxy([], 'REDIRECT', '10.96.0.13_27017')).toMatchObject({ cluster: 'outbound|27017||mongodb.default.svc.cluster.local' });
  });

  it('route by destination subnet first, then the first route that takes every connection', () => {
    for (const [mode, name] of [['REDIRECT', '10.96.0.13_27017'], ['NONE', '127.0.0.1_27017']] as const) {
      const listeners = buildListeners(bookinfoPush('mongodb-subnets.yaml'), podProxy('ratings-v1-1', '10.244.0.13', { app: 'ratings', version: 'v1' }, mode)) as Listener[];
      const listener = listeners.find((l) => l.name === name);
      expect(listener?.filter_chains.map((c) => [c.filter_chain_match, c.filters[0].typed_config.stat_prefix, c.filters[0].typed_config.cluster])).toEqual([
        [
          { prefix_ranges: [{ address_prefix: '10.96.0.0', prefix_len: 16 }, { address_prefix: '192.168.1.1', prefix_len: 32 }] },
          'outbound|27017|v2|mongodb.default.svc.cluster.local',
          'outbound|27017|v2|mongodb.default.svc.cluster.local',
        ],
        [undefined, 'outbound|27017||mongodb.default.svc.cluster.local', 'outbound|27017|v1|mongodb.default.svc.cluster.local'],
      ]);
    }
  });
});
