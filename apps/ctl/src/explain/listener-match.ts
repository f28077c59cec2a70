import { isIPv4 } from 'node:net';
import { arrayAt, dig, isObject, textAt, type JsonObject } from '../proxy-config/json-reading.ts';

/** What a listener knows of a connection when it picks a filter chain. */
export interface ConnectionFacts {
  destinationIp: string;
  destinationPort: number;
  /** SNI, for TLS. */
  serverName?: string;
  transportProtocol: 'tls' | 'raw_buffer';
  /** What http_inspector or ALPN found. */
  applicationProtocols: string[];
}

export function listenerAddress(listener: JsonObject): { ip: string; port: number } {
  return { ip: textAt(dig(listener, 'address', 'socket_address', 'address')), port: Number(dig(listener, 'address', 'socket_address', 'port_value') ?? 0) };
}

export function isOriginalDstListener(listener: JsonObject): boolean {
  return listener.use_original_dst === true;
}

export interface ListenerChoice {
  listener: JsonObject;
  /** The capturing listener (virtualOutbound) that handed the connection over, if any. */
  handedOffBy?: JsonObject;
  why: string;
}

/**
 * The listener a connection to ip:port reaches. With capture (a listener with
 * use_original_dst, Istio's virtualOutbound), the connection lands there and is handed to the
 * listener of its original destination (exact address, else 0.0.0.0), or stays on the capturing
 * listener's own chains. Without capture, only a listener bound to the address (or 0.0.0.0)
 * accepts it.
 */
export function pickListener(listeners: JsonObject[], ip: string, port: number): ListenerChoice | undefined {
  const at = (address: string) => listeners.find((l) => !isOriginalDstListener(l) && listenerAddress(l).ip === address && listenerAddress(l).port === port);
  const exact = at(ip);
  const wildcard = at('0.0.0.0') ?? at('::');
  const capture = listeners.find(isOriginalDstListener);
  if (capture) {
    const target = exact ?? wildcard;
    if (target) return { listener: target, handedOffBy: capture, why: `${exact ? 'its address' : 'the wildcard address'} and port ${port} match the original destination` };
    return { listener: capture, why: `no listener for ${ip}:${port}, so the capturing listener's own filter chains decide` };
  }
  if (exact) return { listener: exact, why: `bound to ${ip}:${port}` };
  if (wildcard) return { listener: wildcard, why: `bound to all addresses on port ${port}` };
  return undefined;
}

export interface ChainChoice {
  chain: JsonObject;
  /** "#2 name" or "default". */
  label: string;
  match: string;
}

/** Envoy's filter chain match, criterion by criterion in Envoy's order: at each step the chains
 *  that name a matching value win (the most specific one), else those that name none go on. */
export function pickFilterChain(listener: JsonObject, facts: ConnectionFacts): ChainChoice | undefined {
  const chains = arrayAt(listener.filter_chains, 'filter_chains').filter(isObject);
  let candidates = chains.map((chain, index) => ({ chain, index, match: isObject(chain.filter_chain_match) ? chain.filter_chain_match : {} }));
  const stages: ((m: JsonObject) => number | undefined)[] = [
    (m) => (m.destination_port === undefined ? undefined : Number(m.destination_port) === facts.destinationPort ? 1 : -1),
    (m) => prefixScore(m.prefix_ranges, facts.destinationIp),
    (m) => serverNameScore(m.server_names, facts.serverName),
    (m) => (m.transport_protocol === undefined || m.transport_protocol === '' ? undefined : m.transport_protocol === facts.transportProtocol ? 1 : -1),
    (m) => {
      const wanted = arrayAt(m.application_protocols, 'application_protocols').map(String);
      if (wanted.length === 0) return undefined;
      return wanted.some((p) => facts.applicationProtocols.includes(p)) ? 1 : -1;
    },
  ];
  for (const stage of stages) {
    const scored = candidates.map((c) => ({ ...c, score: stage(c.match) }));
    const matching = scored.filter((c) => c.score !== undefined && c.score >= 0);
    if (matching.length > 0) {
      const best = Math.max(...matching.map((c) => c.score!));
      candidates = matching.filter((c) => c.score === best);
    } else candidates = scored.filter((c) => c.score === undefined);
  }
  const winner = candidates[0];
  if (winner) return { chain: winner.chain, label: `#${winner.index}${winner.chain.name ? ` ${textAt(winner.chain.name)}` : ''}`, match: describeChainMatch(winner.match) };
  if (isObject(listener.default_filter_chain)) return { chain: listener.default_filter_chain, label: 'default', match: 'no other chain matched' };
  return undefined;
}

function describeChainMatch(match: JsonObject): string {
  const parts: string[] = [];
  if (match.destination_port !== undefined) parts.push(`destination port ${textAt(match.destination_port)}`);
  const ranges = arrayAt(match.prefix_ranges, 'prefix_ranges').filter(isObject);
  if (ranges.length > 0) parts.push(`destination ${ranges.map((r) => `${textAt(r.address_prefix)}/${textAt(r.prefix_len)}`).join(', ')}`);
  const names = arrayAt(match.server_names, 'server_names');
  if (names.length > 0) parts.push(`SNI ${names.join(', ')}`);
  if (match.transport_protocol) parts.push(`transport ${textAt(match.transport_protocol)}`);
  const protocols = arrayAt(match.application_protocols, 'application_protocols');
  if (protocols.length > 0) parts.push(`application protocols ${protocols.join(', ')}`);
  return parts.length > 0 ? parts.join(', ') : 'matches ALL';
}

/** Longest matching prefix wins; an address that is not IPv4 matches only /0 ranges. */
function prefixScore(ranges: unknown, ip: string): number | undefined {
  const list = arrayAt(ranges, 'prefix_ranges').filter(isObject);
  if (list.length === 0) return undefined;
  let best = -1;
  for (const range of list) {
    const length = Number(range.prefix_len ?? (isIPv4(textAt(range.address_prefix)) ? 32 : 128));
    if (inRange(ip, textAt(range.address_prefix), length)) best = Math.max(best, length);
  }
  return best;
}

function inRange(ip: string, prefix: string, length: number): boolean {
  if (length === 0) return true;
  if (!isIPv4(ip) || !isIPv4(prefix)) return ip === prefix;
  const bits = (address: string) => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const mask = length >= 32 ? 0xffffffff : Math.floor(0xffffffff / 2 ** (32 - length)) * 2 ** (32 - length);
  return (bits(ip) & mask) >>> 0 === (bits(prefix) & mask) >>> 0;
}

/** Exact names beat wildcards; longer wildcards beat shorter ones. */
function serverNameScore(names: unknown, serverName: string | undefined): number | undefined {
  const list = arrayAt(names, 'server_names').map(String);
  if (list.length === 0) return undefined;
  if (serverName === undefined) return -1;
  if (list.includes(serverName)) return 1000;
  const wildcards = list.filter((n) => n.startsWith('*.') && serverName.endsWith(n.slice(1)));
  return wildcards.length > 0 ? Math.max(...wildcards.map((n) => n.length)) : -1;
}
