import { describe, expect, it } from 'vitest';
import { buildListeners } from './listener-builder.ts';
import { bookinfoPush, expectGolden, podProxy } from './test-fixtures.ts';

describe('buildListeners', () => {
  const push = bookinfoPush();
  const labels = { app: 'reviews', version: 'v2' };

  it('matches the golden captured layout (REDIRECT)', () => {
    expectGolden('listeners-reviews-redirect', buildListeners(push, podProxy('reviews-v2-1', '10.244.0.12', labels, 'REDIRECT')));
  });

  it('matches the golden bound layout (NONE)', () => {
    expectGolden('listeners-reviews-none', buildListeners(push, podProxy('reviews-v2-1', '10.244.0.12', labels, 'NONE')));
  });

  it('REDIRECT: wildcard HTTP listeners and VIP TCP listeners, unbound, behind virtualOutbound and virtualInbound', () => {
    const listeners = buildListeners(push, podProxy('reviews-v2-1', '10.244.0.12', labels, 'REDIRECT'));
    expect(listeners.map((l) => [l.name, l.bind_to_port])).toEqual([
      ['0.0.0.0_7070', false],
      ['0.0.0.0_9080', false],
      ['10.96.0.13_27017', false],
      ['virtualInbound', undefined],
      ['virtualOutbound', undefined],
    ]);
    const virtualInbound = listeners.find((l) => l.name === 'virtualInbound') as { filter_chains: { name: string; filter_chain_match?: unknown }[] };
    expect(virtualInbound.filter_chains.map((c) => [c.name, c.filter_chain_match])).toEqual([
      ['0.0.0.0_9080', { destination_port: 9080 }],
      ['virtualInbound-catchall-tcp', undefined],
    ]);
  });

  it('NONE: binds outbound on 127.0.0.1 and inbound on the pod IP, skipping ports the app itself uses', () => {
    const productpage = buildListeners(push, podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage' }, 'NONE'));
    expect(productpage.map((l) => [l.name, l.address, l.bind_to_port])).toEqual([
      ['10.244.0.10_9080', { socket_address: { address: '10.244.0.10', port_value: 9080 } }, undefined],
      ['127.0.0.1_27017', { socket_address: { address: '127.0.0.1', port_value: 27017 } }, undefined],
      ['127.0.0.1_7070', { socket_address: { address: '127.0.0.1', port_value: 7070 } }, undefined],
    ]);
    const client = buildListeners(push, podProxy('client-1', '10.244.0.50', { app: 'client' }, 'NONE'));
    expect(client.map((l) => l.name)).toEqual(['127.0.0.1_27017', '127.0.0.1_7070', '127.0.0.1_9080']);
  });

  it('uses Istio stat prefixes and the port as the RDS route name', () => {
    const http = buildListeners(push, podProxy('client-1', '10.244.0.50', { app: 'client' }, 'REDIRECT')).find((l) => l.name === '0.0.0.0_9080');
    expect(http).toMatchObject({
      name: '0.0.0.0_9080',
      filter_chains: [{ filters: [{ typed_config: { stat_prefix: 'outbound_0.0.0.0_9080', rds: { route_config_name: '9080' } } }] }],
    });
  });
});
