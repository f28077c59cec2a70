import { describe, expect, it } from 'vitest';
import type { ConnectionInfo } from '@mizzen/filters';
import { compileChainMatch, plainAddress, selectFilterChain } from './filter-chain-match.ts';

function chains(...matches: (object | undefined)[]) {
  return matches.map((m, i) => ({ name: `c${i}`, match: compileChainMatch(m, `chain[${i}]`) }));
}

const facts = (destinationAddress: string, destinationPort: number, sourceAddress = '10.0.0.9', inspected: Partial<ConnectionInfo> = {}) => ({
  destinationAddress, destinationPort, sourceAddress, transportProtocol: '', serverName: '', applicationProtocols: [], ...inspected,
});
const tls = (serverName: string, applicationProtocols: string[] = []) => facts('10.0.0.1', 443, '10.0.0.9', { transportProtocol: 'tls', serverName, applicationProtocols });

describe('selectFilterChain', () => {
  it('prefers an exact destination port over chains without one', () => {
    const c = chains({ destination_port: 9080 }, undefined);
    expect(selectFilterChain(c, facts('10.0.0.1', 9080))?.name).toBe('c0');
    expect(selectFilterChain(c, facts('10.0.0.1', 8080))?.name).toBe('c1');
  });

  it('returns nothing when no chain matches (the default chain takes over)', () => {
    expect(selectFilterChain(chains({ destination_port: 1 }), facts('10.0.0.1', 2))).toBeUndefined();
  });

  it('picks the longest destination prefix, then chains without ranges', () => {
    const c = chains(
      { prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] },
      { prefix_ranges: [{ address_prefix: '10.1.0.0', prefix_len: 16 }] },
      {},
    );
    expect(selectFilterChain(c, facts('10.1.2.3', 80))?.name).toBe('c1');
    expect(selectFilterChain(c, facts('10.2.2.3', 80))?.name).toBe('c0');
    expect(selectFilterChain(c, facts('192.168.0.1', 80))?.name).toBe('c2');
  });

  it('checks the port before the address, as Envoy does', () => {
    const c = chains({ prefix_ranges: [{ address_prefix: '10.0.0.1', prefix_len: 32 }] }, { destination_port: 80 });
    expect(selectFilterChain(c, facts('10.0.0.1', 80))?.name).toBe('c1');
  });

  it('picks the exact server name, then the longest wildcard, then chains without names', () => {
    const c = chains({ server_names: ['*.example.com'] }, { server_names: ['*.api.example.com'] }, { server_names: ['Exact.Example.com'] }, {});
    expect(selectFilterChain(c, tls('exact.example.com'))?.name).toBe('c2');
    expect(selectFilterChain(c, tls('v1.api.example.com'))?.name).toBe('c1');
    expect(selectFilterChain(c, tls('www.example.com'))?.name).toBe('c0');
    expect(selectFilterChain(c, tls('other.org'))?.name).toBe('c3');
    expect(selectFilterChain(c, tls(''))?.name).toBe('c3');
  });

  it('checks the server name before the transport protocol, as Envoy does', () => {
    const c = chains({ transport_protocol: 'tls' }, { server_names: ['a.example'] });
    expect(selectFilterChain(c, tls('a.example'))?.name).toBe('c1');
  });

  it('matches the transport the TLS inspector found, and the offered ALPN protocols', () => {
    const c = chains({ transport_protocol: 'tls', application_protocols: ['istio-peer-exchange', 'istio'] }, { transport_protocol: 'tls' }, {});
    expect(selectFilterChain(c, tls('', ['istio', 'h2']))?.name).toBe('c0');
    expect(selectFilterChain(c, tls('', ['h2']))?.name).toBe('c1');
    expect(selectFilterChain(c, facts('10.0.0.1', 443, '10.0.0.9', { transportProtocol: 'raw_buffer' }))?.name).toBe('c2');
  });

  it('matches what the HTTP inspector found on cleartext connections', () => {
    const c = chains({ application_protocols: ['http/1.1', 'h2c'] }, {});
    expect(selectFilterChain(c, facts('10.0.0.1', 80, '10.0.0.9', { transportProtocol: 'raw_buffer', applicationProtocols: ['h2c'] }))?.name).toBe('c0');
    expect(selectFilterChain(c, facts('10.0.0.1', 80))?.name).toBe('c1');
  });

  it('matches raw_buffer connections and never TLS or ALPN-only chains', () => {
    const c = chains({ transport_protocol: 'tls' }, { application_protocols: ['h2'] }, { transport_protocol: 'raw_buffer' });
    expect(selectFilterChain(c, facts('10.0.0.1', 80))?.name).toBe('c2');
    expect(selectFilterChain(chains({ transport_protocol: 'tls' }), facts('10.0.0.1', 80))).toBeUndefined();
  });

  it('narrows by source prefix last', () => {
    const c = chains({ source_prefix_ranges: [{ address_prefix: '127.0.0.0', prefix_len: 8 }] }, {});
    expect(selectFilterChain(c, facts('10.0.0.1', 80, '127.0.0.6'))?.name).toBe('c0');
    expect(selectFilterChain(c, facts('10.0.0.1', 80, '10.0.0.7'))?.name).toBe('c1');
  });

  it('matches IPv6 ranges and IPv4-mapped peers', () => {
    const c = chains({ prefix_ranges: [{ address_prefix: 'fd00::', prefix_len: 16 }] }, {});
    expect(selectFilterChain(c, facts('fd00::5', 80))?.name).toBe('c0');
    expect(plainAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
  });

  it('rejects what it cannot match on, naming the field', () => {
    expect(() => compileChainMatch({ server_names: ['a.*.com'] }, 'm')).toThrow('m.server_names[0]: must be a host name or a wildcard');
    expect(() => compileChainMatch({ source_ports: [1] }, 'm')).toThrow('m.source_ports: not supported');
    expect(() => compileChainMatch({ prefix_ranges: [{ address_prefix: 'nope' }] }, 'm')).toThrow('m.prefix_ranges[0].address_prefix: invalid IP address');
  });
});
