import { describe, expect, it } from 'vitest';
import type { Counter, Gauge, StatsStore } from '../../stats.ts';
import { createNetworkFilter, type FilterFactoryContext, type NetworkFilter } from '../../registry.ts';
import { CONNECTION_LIMIT_TYPE_URL } from './connection-limit.ts';
import '../tcp-proxy/tcp-proxy.ts';
import { TCP_PROXY_TYPE_URL } from '../tcp-proxy/tcp-proxy.ts';

function metric(): Counter & Gauge {
  let value = 0;
  return {
    get value() { return value; },
    inc() { value++; },
    dec() { value--; },
    add(n: number) { value += n; },
    set(v: number) { value = v; },
  };
}
const stats: StatsStore = { counter: metric, gauge: metric };
const context = { stats, clusterManager: { getCluster: () => undefined }, log: console } as unknown as FilterFactoryContext;
const limit = { '@type': CONNECTION_LIMIT_TYPE_URL, stat_prefix: 'l', max_connections: 1 };
const tcp = { '@type': TCP_PROXY_TYPE_URL, stat_prefix: 't', cluster: 'c' };

describe('connection_limit in a chain', () => {
  it('must be followed by a terminal filter, and a terminal filter must come last', () => {
    const terminal: NetworkFilter = createNetworkFilter(tcp, context, 'f[1]');
    expect(createNetworkFilter(limit, context, 'f[0]', terminal)).toBeDefined();
    expect(() => createNetworkFilter(limit, context, 'f[0]')).toThrow(/f\[0\]: .*is not a terminal filter/);
    expect(() => createNetworkFilter(tcp, context, 'f[0]', terminal)).toThrow(/f\[0\]: .*is a terminal filter and must be the last/);
  });

  it('names a bad limit', () => {
    const terminal = createNetworkFilter(tcp, context, 'f[1]');
    expect(() => createNetworkFilter({ ...limit, max_connections: 0 }, context, 'f[0]', terminal)).toThrow(/f\[0\].max_connections: must be between 1/);
    expect(() => createNetworkFilter({ '@type': CONNECTION_LIMIT_TYPE_URL, stat_prefix: 'l' }, context, 'f[0]', terminal)).toThrow(/f\[0\].max_connections: required/);
  });
});
