import { BlockList, isIPv4 } from 'node:net';
import { ConfigError, asObject, onlyFields, optionalArray, optionalInteger, optionalString, requiredString, type JsonObject } from '@mizzen/filters';

export interface CidrRange {
  readonly prefixLen: number;
  readonly block: BlockList;
}

/** A FilterChainMatch, compiled. Unset criteria match anything. */
export interface ChainMatch {
  readonly destinationPort: number | undefined;
  readonly prefixRanges: CidrRange[];
  /** SNI names, lower case: exact ("a.example") or wildcard ("*.example"). */
  readonly serverNames: string[];
  readonly sourcePrefixRanges: CidrRange[];
  readonly transportProtocol: string;
  readonly applicationProtocols: string[];
}

/** The facts about a connection that filter chains match on. */
export interface ConnectionFacts {
  readonly destinationAddress: string;
  readonly destinationPort: number;
  readonly sourceAddress: string;
  /** What the listener filters found ("" and none when there are none). */
  readonly transportProtocol: string;
  readonly serverName: string;
  readonly applicationProtocols: readonly string[];
}

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) is matched as "10.0.0.1". */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function compileCidr(value: unknown, path: string): CidrRange {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['address_prefix', 'prefix_len']);
  const prefix = requiredString(obj, 'address_prefix', path);
  const v4 = isIPv4(prefix);
  const prefixLen = optionalInteger(obj, 'prefix_len', path, 0, v4 ? 32 : 128) ?? (v4 ? 32 : 128);
  const block = new BlockList();
  try {
    block.addSubnet(prefix, prefixLen, v4 ? 'ipv4' : 'ipv6');
  } catch {
    throw new ConfigError(`${path}.address_prefix`, `invalid IP address "${prefix}"`);
  }
  return { prefixLen, block };
}

export function compileChainMatch(value: unknown, path: string): ChainMatch {
  if (value === undefined || value === null) {
    return { destinationPort: undefined, prefixRanges: [], serverNames: [], sourcePrefixRanges: [], transportProtocol: '', applicationProtocols: [] };
  }
  const obj: JsonObject = asObject(value, path);
  onlyFields(obj, path, ['destination_port', 'prefix_ranges', 'server_names', 'source_prefix_ranges', 'transport_protocol', 'application_protocols']);
  return {
    destinationPort: optionalInteger(obj, 'destination_port', path, 1, 65535),
    prefixRanges: optionalArray(obj, 'prefix_ranges', path).map((r, i) => compileCidr(r, `${path}.prefix_ranges[${i}]`)),
    serverNames: optionalArray(obj, 'server_names', path).map((n, i) => {
      if (typeof n !== 'string' || n === '' || (n.includes('*') && !/^\*\.[^*]+$/.test(n))) {
        throw new ConfigError(`${path}.server_names[${i}]`, 'must be a host name or a wildcard "*.suffix"');
      }
      return n.toLowerCase();
    }),
    sourcePrefixRanges: optionalArray(obj, 'source_prefix_ranges', path).map((r, i) => compileCidr(r, `${path}.source_prefix_ranges[${i}]`)),
    transportProtocol: optionalString(obj, 'transport_protocol', path) ?? '',
    applicationProtocols: optionalArray(obj, 'application_protocols', path).map((p, i) => {
      if (typeof p !== 'string') throw new ConfigError(`${path}.application_protocols[${i}]`, 'must be a string');
      return p;
    }),
  };
}

/** Longest prefix among `ranges` that contains the address, -1 when none does. */
function longestPrefix(ranges: CidrRange[], address: string): number {
  const family = isIPv4(address) ? 'ipv4' : 'ipv6';
  let best = -1;
  for (const r of ranges) if (r.prefixLen > best && r.block.check(address, family)) best = r.prefixLen;
  return best;
}

/** Keeps the candidates that match an address most specifically, or those with no ranges. */
function narrowByPrefix<T extends { match: ChainMatch }>(chains: T[], address: string, ranges: (m: ChainMatch) => CidrRange[]): T[] {
  let best = -1;
  let winners: T[] = [];
  for (const chain of chains) {
    const r = ranges(chain.match);
    if (r.length === 0) continue;
    const len = longestPrefix(r, address);
    if (len > best) {
      best = len;
      winners = [chain];
    } else if (len === best && len !== -1) winners.push(chain);
  }
  return best !== -1 ? winners : chains.filter((c) => ranges(c.match).length === 0);
}

/** Keeps the chains naming the SNI exactly, else those with the longest matching wildcard,
 *  else those that name no server. */
function narrowByServerName<T extends { match: ChainMatch }>(chains: T[], serverName: string): T[] {
  if (serverName !== '') {
    const exact = chains.filter((c) => c.match.serverNames.includes(serverName));
    if (exact.length > 0) return exact;
    let best = 0;
    let winners: T[] = [];
    for (const chain of chains) {
      let longest = 0;
      for (const name of chain.match.serverNames) {
        if (name.startsWith('*.') && serverName.endsWith(name.slice(1)) && name.length > longest) longest = name.length;
      }
      if (longest > best) {
        best = longest;
        winners = [chain];
      } else if (longest === best && longest > 0) winners.push(chain);
    }
    if (winners.length > 0) return winners;
  }
  return chains.filter((c) => c.match.serverNames.length === 0);
}

/**
 * Envoy's filter chain selection: criteria are applied in order (destination port, destination
 * IP, server name, transport protocol, application protocols, source IP); at each step the
 * most specific match wins and chains that leave the criterion unset are the fallback.
 * Without a TLS inspector the transport is "raw_buffer"; without an inspector no ALPN is known.
 */
export function selectFilterChain<T extends { match: ChainMatch }>(chains: T[], facts: ConnectionFacts): T | undefined {
  let candidates = chains.filter((c) => c.match.destinationPort === facts.destinationPort);
  if (candidates.length === 0) candidates = chains.filter((c) => c.match.destinationPort === undefined);
  candidates = narrowByPrefix(candidates, facts.destinationAddress, (m) => m.prefixRanges);
  candidates = narrowByServerName(candidates, facts.serverName);
  const transport = facts.transportProtocol || 'raw_buffer';
  const sameTransport = candidates.filter((c) => c.match.transportProtocol === transport);
  candidates = sameTransport.length > 0 ? sameTransport : candidates.filter((c) => c.match.transportProtocol === '');
  const offered = facts.applicationProtocols;
  const sameProtocol = offered.length === 0 ? [] : candidates.filter((c) => c.match.applicationProtocols.some((p) => offered.includes(p)));
  candidates = sameProtocol.length > 0 ? sameProtocol : candidates.filter((c) => c.match.applicationProtocols.length === 0);
  candidates = narrowByPrefix(candidates, facts.sourceAddress, (m) => m.sourcePrefixRanges);
  return candidates[0];
}
