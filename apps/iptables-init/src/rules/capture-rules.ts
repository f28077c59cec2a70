import { AGENT_DNS_PORT, OUTBOUND_MARK, type CaptureConfig, type Cidr } from '../config/capture-config.ts';
import type { Rule, RuleSet, Table } from './rule.ts';

// The chains, with Istio's names so that its tools and habits still apply.
export const ISTIO_INBOUND = 'ISTIO_INBOUND';
export const ISTIO_IN_REDIRECT = 'ISTIO_IN_REDIRECT';
export const ISTIO_OUTPUT = 'ISTIO_OUTPUT';
export const ISTIO_REDIRECT = 'ISTIO_REDIRECT';
export const ISTIO_DIVERT = 'ISTIO_DIVERT';
export const ISTIO_TPROXY = 'ISTIO_TPROXY';
export const ISTIO_OUTPUT_DNS = 'ISTIO_OUTPUT_DNS';
export const ISTIO_DROP = 'ISTIO_DROP';

/** Family-specific addresses: the loopback the app reaches sidecars on, and the source the
 *  proxy uses when it forwards inbound traffic to the app (so that it is not captured again). */
interface Family {
  version: 4 | 6;
  loopback: string;
  inboundPassthroughSource: string;
  hostBits: number;
}
const IPV4: Family = { version: 4, loopback: '127.0.0.1/32', inboundPassthroughSource: '127.0.0.6/32', hostBits: 32 };
const IPV6: Family = { version: 6, loopback: '::1/128', inboundPassthroughSource: '::6/128', hostBits: 128 };

/** The capture rules for a configuration, per family, in Istio's order. Pure: flags in, rules out. */
export function buildCaptureRules(config: CaptureConfig): RuleSet {
  return { ipv4: buildFamily(config, IPV4), ipv6: config.ipv6 ? buildFamily(config, IPV6) : [] };
}

function buildFamily(config: CaptureConfig, family: Family): Rule[] {
  const rules: Rule[] = [];
  const add = (table: Table, chain: string, ...args: string[]) => rules.push({ table, chain, args });
  const insert = (table: Table, chain: string, insertAt: number, ...args: string[]) => rules.push({ table, chain, args, insertAt });
  const tproxy = config.inboundInterceptionMode === 'TPROXY';
  const ofFamily = (cidrs: Cidr[]) => cidrs.filter((c) => c.family === family.version).map((c) => c.text);
  const dnsServers = config.dnsServers.filter((s) => (s.includes(':') ? 6 : 4) === family.version).map((s) => `${s}/${family.hostBits}`);
  const redirectDns = config.redirectDns && (config.captureAllDns || config.dnsServers.length > 0);

  // Excluded interfaces are left alone in both directions.
  for (const nic of config.excludeInterfaces) {
    add('nat', 'PREROUTING', '-i', nic, '-j', 'RETURN');
    add('nat', 'OUTPUT', '-o', nic, '-j', 'RETURN');
  }
  if (tproxy) {
    for (const nic of config.excludeInterfaces) {
      add('mangle', 'PREROUTING', '-i', nic, '-j', 'RETURN');
      add('mangle', 'OUTPUT', '-o', nic, '-j', 'RETURN');
    }
  }
  // Traffic from a VM's virtual interface is not inbound; what is outbound is decided below.
  for (const nic of config.kubeVirtInterfaces) insert('nat', 'PREROUTING', 1, '-i', nic, '-j', 'RETURN');

  if (config.dropInvalid) {
    add('mangle', 'PREROUTING', '-m', 'conntrack', '--ctstate', 'INVALID', '-j', ISTIO_DROP);
    add('mangle', ISTIO_DROP, '-j', 'DROP');
  }

  // The tunnel port is the proxy's own; the two redirect chains are the ways into the proxy.
  add('nat', ISTIO_INBOUND, '-p', 'tcp', '--dport', String(config.inboundTunnelPort), '-j', 'RETURN');
  add('nat', ISTIO_REDIRECT, '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(config.proxyPort));
  add('nat', ISTIO_IN_REDIRECT, '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(config.inboundCapturePort));

  addInbound(config, family, add);

  // Outbound: everything the pod sends goes through ISTIO_OUTPUT.
  add('nat', 'OUTPUT', '-j', ISTIO_OUTPUT);
  for (const port of config.outboundPortsExclude) {
    add('nat', ISTIO_OUTPUT, '-p', 'tcp', '--dport', String(port), '-j', 'RETURN');
    add('nat', ISTIO_OUTPUT, '-p', 'udp', '--dport', String(port), '-j', 'RETURN');
  }
  // The proxy forwarding inbound traffic to the app over loopback.
  add('nat', ISTIO_OUTPUT, '-o', 'lo', '-s', family.inboundPassthroughSource, '-j', 'RETURN');

  const includesLoopback = config.outboundCidrs !== '*' && config.outboundCidrs.some(isLoopback);
  addOwnerExceptions(config, family, '--uid-owner', config.proxyUids, redirectDns, includesLoopback, add);
  addOwnerExceptions(config, family, '--gid-owner', config.proxyGids, redirectDns, includesLoopback, add);

  // Capture by owner group: leave the excepted groups alone, or everyone outside the listed ones.
  if (config.ownerGroups.except) {
    for (const group of config.ownerGroups.groups) add('nat', ISTIO_OUTPUT, '-m', 'owner', '--gid-owner', group, '-j', 'RETURN');
  } else {
    add('nat', ISTIO_OUTPUT, ...config.ownerGroups.groups.flatMap((g) => ['-m', 'owner', '!', '--gid-owner', g]), '-j', 'RETURN');
  }

  if (redirectDns) addDnsCapture(config, dnsServers, add);

  // Apps that talk to localhost on purpose (and containers of the same pod) are left alone.
  add('nat', ISTIO_OUTPUT, '-d', family.loopback, '-j', 'RETURN');
  for (const cidr of ofFamily(config.outboundCidrsExclude)) add('nat', ISTIO_OUTPUT, '-d', cidr, '-j', 'RETURN');
  for (const port of config.outboundPorts) add('nat', ISTIO_OUTPUT, '-p', 'tcp', '--dport', String(port), '-j', ISTIO_REDIRECT);

  if (config.outboundCidrs === '*') {
    add('nat', ISTIO_OUTPUT, '-j', ISTIO_REDIRECT);
    for (const nic of config.kubeVirtInterfaces) insert('nat', 'PREROUTING', 1, '-i', nic, '-j', ISTIO_REDIRECT);
  } else {
    for (const cidr of ofFamily(config.outboundCidrs)) {
      for (const nic of config.kubeVirtInterfaces) insert('nat', 'PREROUTING', 1, '-i', nic, '-d', cidr, '-j', ISTIO_REDIRECT);
      add('nat', ISTIO_OUTPUT, '-d', cidr, '-j', ISTIO_REDIRECT);
    }
  }

  if (tproxy) addTproxyMarks(config, family, add, insert);
  return rules;
}

type Add = (table: Table, chain: string, ...args: string[]) => void;
type Insert = (table: Table, chain: string, insertAt: number, ...args: string[]) => void;

function addInbound(config: CaptureConfig, family: Family, add: Add): void {
  const ports = config.inboundPorts;
  if (ports !== '*' && ports.length === 0) return;
  const tproxy = config.inboundInterceptionMode === 'TPROXY';
  const table: Table = tproxy ? 'mangle' : 'nat';
  if (tproxy) {
    // TPROXY keeps the original destination: new connections are handed to the proxy's
    // socket, packets of known connections are marked and routed to loopback.
    add('mangle', ISTIO_DIVERT, '-j', 'MARK', '--set-mark', String(config.tproxyMark));
    add('mangle', ISTIO_DIVERT, '-j', 'ACCEPT');
    add('mangle', ISTIO_TPROXY, '!', '-d', family.loopback, '-p', 'tcp', '-j', 'TPROXY',
      '--tproxy-mark', `${config.tproxyMark}/0xffffffff`, '--on-port', String(config.inboundCapturePort));
  }
  add(table, 'PREROUTING', '-p', 'tcp', '-j', ISTIO_INBOUND);
  const capture = (...match: string[]) => {
    if (tproxy) {
      add('mangle', ISTIO_INBOUND, '-p', 'tcp', ...match, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', ISTIO_DIVERT);
      add('mangle', ISTIO_INBOUND, '-p', 'tcp', ...match, '-j', ISTIO_TPROXY);
    } else {
      add('nat', ISTIO_INBOUND, '-p', 'tcp', ...match, '-j', ISTIO_IN_REDIRECT);
    }
  };
  if (ports === '*') {
    for (const port of config.inboundPortsExclude) add(table, ISTIO_INBOUND, '-p', 'tcp', '--dport', String(port), '-j', 'RETURN');
    capture();
  } else {
    for (const port of ports) capture('--dport', String(port));
  }
}

/** The proxy's own traffic is never captured, except when it calls its own pod through a
 *  service address: that goes back in through the inbound side (app -> proxy -> proxy -> app). */
function addOwnerExceptions(
  config: CaptureConfig,
  family: Family,
  owner: '--uid-owner' | '--gid-owner',
  ids: string[],
  redirectDns: boolean,
  includesLoopback: boolean,
  add: Add,
): void {
  const tunnel = String(config.inboundTunnelPort);
  for (const id of ids) {
    // As Istio does, only the uid rule also spares DNS over TCP to a local resolver.
    const ports = redirectDns && owner === '--uid-owner' ? ['-m', 'multiport', '!', '--dports', `53,${tunnel}`] : ['!', '--dport', tunnel];
    add('nat', ISTIO_OUTPUT, '-o', 'lo', '!', '-d', family.loopback, '-p', 'tcp', ...ports, '-m', 'owner', owner, id, '-j', ISTIO_IN_REDIRECT);
    // An app calling itself over loopback stays on loopback, unless loopback is captured on purpose.
    if (!includesLoopback) {
      if (redirectDns) add('nat', ISTIO_OUTPUT, '-o', 'lo', '-p', 'tcp', '!', '--dport', '53', '-m', 'owner', '!', owner, id, '-j', 'RETURN');
      else add('nat', ISTIO_OUTPUT, '-o', 'lo', '-m', 'owner', '!', owner, id, '-j', 'RETURN');
    }
    add('nat', ISTIO_OUTPUT, '-m', 'owner', owner, id, '-j', 'RETURN');
  }
}

/** DNS to the pod's resolvers (or all DNS) goes to the agent; conntrack zones keep the app's
 *  queries apart from the agent's own upstream queries. */
function addDnsCapture(config: CaptureConfig, servers: string[], add: Add): void {
  const agent = String(AGENT_DNS_PORT);
  add('raw', 'OUTPUT', '-j', ISTIO_OUTPUT_DNS);
  if (config.captureAllDns || servers.length > 0) add('nat', ISTIO_OUTPUT, '-j', ISTIO_OUTPUT_DNS);
  const destinations = config.captureAllDns ? [[]] : servers.map((s) => ['-d', s]);
  for (const d of destinations) add('nat', ISTIO_OUTPUT_DNS, '-p', 'tcp', '--dport', '53', ...d, '-j', 'REDIRECT', '--to-ports', agent);
  for (const d of destinations) add('nat', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', ...d, '-j', 'REDIRECT', '--to-port', agent);

  for (const [owner, ids] of [['--uid-owner', config.proxyUids], ['--gid-owner', config.proxyGids]] as const) {
    for (const id of ids) {
      add('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-m', 'owner', owner, id, '-j', 'CT', '--zone', '1');
      add('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--sport', agent, '-m', 'owner', owner, id, '-j', 'CT', '--zone', '2');
    }
  }
  if (config.captureAllDns) {
    add('raw', 'PREROUTING', '-j', ISTIO_INBOUND);
    add('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-j', 'CT', '--zone', '2');
    add('raw', ISTIO_INBOUND, '-p', 'udp', '--sport', '53', '-j', 'CT', '--zone', '1');
    return;
  }
  if (servers.length > 0) add('raw', 'PREROUTING', '-j', ISTIO_INBOUND);
  for (const server of servers) {
    add('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-d', server, '-j', 'CT', '--zone', '2');
    add('raw', ISTIO_INBOUND, '-p', 'udp', '--sport', '53', '-s', server, '-j', 'CT', '--zone', '1');
  }
}

/** TPROXY bookkeeping: remember the mark on the connection, restore it on replies, and keep
 *  the proxy's own loopback traffic out of the inbound capture. */
function addTproxyMarks(config: CaptureConfig, family: Family, add: Add, insert: Insert): void {
  const mark = String(config.tproxyMark);
  add('mangle', 'PREROUTING', '-p', 'tcp', '-m', 'mark', '--mark', mark, '-j', 'CONNMARK', '--save-mark');
  add('mangle', 'OUTPUT', '-p', 'tcp', '-o', 'lo', '-m', 'mark', '--mark', mark, '-j', 'RETURN');
  for (const [owner, ids] of [['--uid-owner', config.proxyUids], ['--gid-owner', config.proxyGids]] as const) {
    for (const id of ids) {
      add('mangle', 'OUTPUT', '!', '-d', family.loopback, '-p', 'tcp', '-o', 'lo', '-m', 'owner', owner, id, '-j', 'MARK', '--set-mark', String(OUTBOUND_MARK));
    }
  }
  add('mangle', 'OUTPUT', '-p', 'tcp', '-m', 'connmark', '--mark', mark, '-j', 'CONNMARK', '--restore-mark');
  insert('mangle', ISTIO_INBOUND, 1, '-p', 'tcp', '-m', 'mark', '--mark', mark, '-j', 'RETURN');
  insert('mangle', ISTIO_INBOUND, 2, '-p', 'tcp', '-s', family.inboundPassthroughSource, '-i', 'lo', '-j', 'RETURN');
  insert('mangle', ISTIO_INBOUND, 3, '-p', 'tcp', '-i', 'lo', '-m', 'mark', '!', '--mark', String(OUTBOUND_MARK), '-j', 'RETURN');
}

function isLoopback(cidr: Cidr): boolean {
  const address = cidr.text.split('/')[0];
  return cidr.family === 4 ? address.startsWith('127.') : address === '::1';
}
