import { describe, expect, it } from 'vitest';
import { pickFilterChain, pickListener, type ConnectionFacts } from './listener-match.ts';

const facts = (overrides: Partial<ConnectionFacts> = {}): ConnectionFacts => ({ destinationIp: '10.96.0.5', destinationPort: 443, transportProtocol: 'raw_buffer', applicationProtocols: ['http/1.1'], ...overrides });

describe('pickFilterChain', () => {
  const listener = {
    filter_chains: [
      { name: 'wide', filter_chain_match: { prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] } },
      { name: 'narrow', filter_chain_match: { prefix_ranges: [{ address_prefix: '10.96.0.0', prefix_len: 16 }] } },
      { name: 'tls-exact', filter_chain_match: { transport_protocol: 'tls', server_names: ['api.example.com'] } },
      { name: 'tls-wildcard', filter_chain_match: { transport_protocol: 'tls', server_names: ['*.example.com'] } },
      { name: 'port', filter_chain_match: { destination_port: 8443 } },
    ],
    default_filter_chain: { name: 'fallback' },
  };

  it('follows Envoy: port first, then the longest address prefix, then SNI, exact before wildcard', () => {
    expect(pickFilterChain(listener, facts({ destinationPort: 8443 }))?.label).toBe('#4 port');
    expect(pickFilterChain(listener, facts())?.label).toBe('#1 narrow');
    expect(pickFilterChain(listener, facts({ destinationIp: '10.1.2.3' }))?.label).toBe('#0 wide');
    expect(pickFilterChain(listener, facts({ destinationIp: '192.168.0.1', transportProtocol: 'tls', serverName: 'api.example.com' }))?.label).toBe('#2 tls-exact');
    expect(pickFilterChain(listener, facts({ destinationIp: '192.168.0.1', transportProtocol: 'tls', serverName: 'www.example.com' }))?.label).toBe('#3 tls-wildcard');
    expect(pickFilterChain(listener, facts({ destinationIp: '192.168.0.1' }))).toMatchObject({ label: 'default', match: 'no other chain matched' });
  });
});

describe('pickListener', () => {
  const at = (name: string, address: string, port: number, extra = {}) => ({ name, address: { socket_address: { address, port_value: port } }, ...extra });
  it('hands a captured connection to the listener of its destination, else keeps it', () => {
    const listeners = [at('virtualOutbound', '0.0.0.0', 15001, { use_original_dst: true }), at('0.0.0.0_9080', '0.0.0.0', 9080), at('10.96.0.13_27017', '10.96.0.13', 27017)];
    expect(pickListener(listeners, '10.96.0.11', 9080)).toMatchObject({ listener: { name: '0.0.0.0_9080' }, handedOffBy: { name: 'virtualOutbound' } });
    expect(pickListener(listeners, '10.96.0.13', 27017)?.listener.name).toBe('10.96.0.13_27017');
    expect(pickListener(listeners, '10.96.0.14', 27017)?.listener.name).toBe('virtualOutbound');
    expect(pickListener(listeners.slice(1), '10.96.0.14', 27017)).toBeUndefined();
  });
});
