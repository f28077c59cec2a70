import { isIP } from 'node:net';

/** An address range in CIDR form, checked; `text` is what goes into a rule. */
export interface Cidr {
  text: string;
  family: 4 | 6;
}

/** What to capture: the flags of istio-iptables, checked and typed. */
export interface CaptureConfig {
  /** Outbound traffic goes to this port (virtualOutbound). */
  proxyPort: number;
  /** Inbound traffic goes to this port (virtualInbound). */
  inboundCapturePort: number;
  /** Inbound traffic to this port (the HBONE tunnel) is never captured. */
  inboundTunnelPort: number;
  /** Traffic from these users and groups (the proxy's) is never captured, to avoid loops. */
  proxyUids: string[];
  proxyGids: string[];
  inboundInterceptionMode: 'REDIRECT' | 'TPROXY';
  /** Inbound ports to capture: all ("*"), a list, or none (empty list). */
  inboundPorts: '*' | number[];
  /** With inboundPorts "*", ports left alone. */
  inboundPortsExclude: number[];
  /** Outbound ports always captured, whatever the destination. */
  outboundPorts: number[];
  /** Outbound ports never captured. */
  outboundPortsExclude: number[];
  /** Outbound destinations to capture: all ("*"), a list, or none. */
  outboundCidrs: '*' | Cidr[];
  /** Outbound destinations never captured. */
  outboundCidrsExclude: Cidr[];
  /** Interfaces whose inbound traffic (from a VM) is treated as outbound. */
  kubeVirtInterfaces: string[];
  /** Interfaces whose traffic is never captured. */
  excludeInterfaces: string[];
  tproxyMark: number;
  tproxyRouteTable: number;
  /** Send DNS (port 53) to the agent's DNS proxy on 15053. */
  redirectDns: boolean;
  /** With redirectDns: every DNS packet, not only those to the resolvers in dnsServers. */
  captureAllDns: boolean;
  dnsServers: string[];
  /** Whose outbound traffic is captured, by group: every group except `groups`, or only
   *  `groups` (Istio's ISTIO_OUTBOUND_OWNER_GROUPS and ..._EXCLUDE). */
  ownerGroups: { except: boolean; groups: string[] };
  /** Drop packets conntrack finds INVALID instead of letting the kernel reset the connection. */
  dropInvalid: boolean;
  /** Also write IPv6 rules (the pod has an IPv6 address, or runs dual stack). */
  ipv6: boolean;
}

/** The agent's DNS proxy, and the source address the proxy uses to reach the app. */
export const AGENT_DNS_PORT = 15053;
/** Mark that the proxy's outbound-to-inbound loopback traffic gets in TPROXY mode. */
export const OUTBOUND_MARK = 1338;

export const DEFAULT_CAPTURE: CaptureConfig = {
  proxyPort: 15001,
  inboundCapturePort: 15006,
  inboundTunnelPort: 15008,
  proxyUids: ['1337'],
  proxyGids: ['1337'],
  inboundInterceptionMode: 'REDIRECT',
  inboundPorts: [],
  inboundPortsExclude: [],
  outboundPorts: [],
  outboundPortsExclude: [],
  outboundCidrs: [],
  outboundCidrsExclude: [],
  kubeVirtInterfaces: [],
  excludeInterfaces: [],
  tproxyMark: 1337,
  tproxyRouteTable: 133,
  redirectDns: false,
  captureAllDns: false,
  dnsServers: [],
  ownerGroups: { except: true, groups: [] },
  dropInvalid: false,
  ipv6: false,
};

// Each parser takes the raw flag text and throws a message naming what is wrong; the command
// line adds the flag's name.

export function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new Error(`"${text}" is not a port (1-65535)`);
  return n;
}

export function parsePortList(text: string): number[] {
  return splitList(text).map(parsePort);
}

/** "*" for all ports, else a list (empty: none). */
export function parsePortSelection(text: string): '*' | number[] {
  return text.trim() === '*' ? '*' : parsePortList(text);
}

export function parseCidr(text: string): Cidr {
  const [address, prefix, ...rest] = text.split('/');
  const family = isIP(address) as 0 | 4 | 6;
  if (family === 0 || rest.length > 0) throw new Error(`"${text}" is not a CIDR (address/prefix)`);
  const max = family === 4 ? 32 : 128;
  if (prefix === undefined) return { text: `${address}/${max}`, family };
  if (!/^\d+$/.test(prefix) || Number(prefix) > max) throw new Error(`"${text}" has a bad prefix length (0-${max})`);
  return { text: `${address}/${Number(prefix)}`, family };
}

export function parseCidrList(text: string): Cidr[] {
  return splitList(text).map(parseCidr);
}

/** "*" for everything, else a list (empty: nothing). */
export function parseCidrSelection(text: string): '*' | Cidr[] {
  return text.trim() === '*' ? '*' : parseCidrList(text);
}

export function parseIdList(text: string): string[] {
  const ids = splitList(text);
  if (ids.length === 0) throw new Error('no id given');
  for (const id of ids) {
    if (!/^\d+$/.test(id) || Number(id) > 4_294_967_294) throw new Error(`"${id}" is not a numeric id`);
  }
  return ids;
}

export function parseMark(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 4_294_967_295) throw new Error(`"${text}" is not a mark (1-4294967295)`);
  return n;
}

export function parseRouteTable(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 4_294_967_295 || n === 253 || n === 254 || n === 255) {
    throw new Error(`"${text}" is not a free routing table (1-4294967295, not 253-255)`);
  }
  return n;
}

export function parseInterceptionMode(text: string): 'REDIRECT' | 'TPROXY' {
  if (text === 'REDIRECT' || text === 'TPROXY') return text;
  throw new Error(`"${text}" is not an interception mode (REDIRECT or TPROXY)`);
}

/** Group names or ids, as `-m owner --gid-owner` takes them. */
export function parseGroupList(text: string): string[] {
  const groups = splitList(text);
  for (const group of groups) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(group)) throw new Error(`"${group}" is not a group name or id`);
  }
  return groups;
}

export function parseInterfaceList(text: string): string[] {
  const names = splitList(text);
  for (const name of names) {
    if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) throw new Error(`"${name}" is not an interface name`);
  }
  return names;
}
