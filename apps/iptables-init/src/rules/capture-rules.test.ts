import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPTURE, parseCidrList, type CaptureConfig } from '../config/capture-config.ts';
import { buildCaptureRules } from './capture-rules.ts';
import { formatPlan } from './restore-format.ts';
import { buildRoutingCommands } from './routing-commands.ts';

// The sidecar injector's flags: -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x "" -b '*' -d 15090,15021,15020
const sidecar: CaptureConfig = {
  ...DEFAULT_CAPTURE,
  inboundPorts: '*',
  inboundPortsExclude: [15090, 15021, 15020],
  outboundCidrs: '*',
};

const cases: Record<string, CaptureConfig> = {
  'sidecar-default': sidecar,
  'outbound-ports-exclude': { ...sidecar, outboundPortsExclude: [3306, 5432] },
  'outbound-ports-include': { ...sidecar, outboundCidrs: [], outboundPorts: [32000, 31000] },
  'cidr-include-exclude': { ...sidecar, outboundCidrs: parseCidrList('10.96.0.0/12,10.0.0.0/8'), outboundCidrsExclude: parseCidrList('10.96.0.10/32,169.254.169.254') },
  'cidr-loopback-include': { ...sidecar, outboundCidrs: parseCidrList('127.1.2.3/32') },
  'inbound-ports-list': { ...sidecar, inboundPorts: [9080, 8080], inboundPortsExclude: [15090] },
  'inbound-empty': { ...sidecar, inboundPorts: [] },
  'nothing-captured': DEFAULT_CAPTURE,
  tproxy: { ...sidecar, inboundInterceptionMode: 'TPROXY' },
  'tproxy-inbound-ports': { ...sidecar, inboundInterceptionMode: 'TPROXY', inboundPorts: [9080], excludeInterfaces: ['eth9'] },
  'dns-resolvers': { ...sidecar, redirectDns: true, dnsServers: ['10.96.0.10', 'fd00:10:96::a'], ipv6: true },
  'dns-capture-all': { ...sidecar, redirectDns: true, captureAllDns: true },
  'dns-without-servers': { ...sidecar, redirectDns: true },
  ipv6: { ...sidecar, ipv6: true, outboundCidrs: parseCidrList('10.96.0.0/12,fd00:10:96::/112'), outboundCidrsExclude: parseCidrList('fd00:10:96::1/128') },
  'uid-gid-lists': { ...sidecar, proxyUids: ['3', '4'], proxyGids: ['1', '2'] },
  'kube-virt-interfaces': { ...sidecar, kubeVirtInterfaces: ['eth1', 'eth2'] },
  'kube-virt-interfaces-cidrs': { ...sidecar, kubeVirtInterfaces: ['eth1'], outboundCidrs: parseCidrList('10.0.0.0/8') },
  'owner-groups-include': { ...sidecar, ownerGroups: { except: false, groups: ['java', '202'] } },
  'owner-groups-exclude': { ...sidecar, ownerGroups: { except: true, groups: ['888', 'ftp'] } },
  'exclude-interfaces-drop-invalid': { ...sidecar, excludeInterfaces: ['not-mesh0'], dropInvalid: true },
};

describe('buildCaptureRules', () => {
  it.each(Object.entries(cases))('%s', (name, config) => {
    const text = formatPlan(buildCaptureRules(config), buildRoutingCommands(config));
    const url = new URL(`./testdata/${name}.rules`, import.meta.url);
    if (process.env.UPDATE_GOLDEN) writeFileSync(url, text);
    expect(text).toBe(readFileSync(url, 'utf8'));
  });

  it('leaves IPv6 alone unless the pod uses it', () => {
    expect(buildCaptureRules(sidecar).ipv6).toEqual([]);
    expect(buildCaptureRules({ ...sidecar, ipv6: true }).ipv6.length).toBeGreaterThan(0);
  });

  it('puts the uid and loopback exceptions before the catch-all redirect', () => {
    const lines = buildCaptureRules(sidecar).ipv4.filter((r) => r.chain === 'ISTIO_OUTPUT').map((r) => r.args.join(' '));
    const last = lines.length - 1;
    expect(lines[last]).toBe('-j ISTIO_REDIRECT');
    expect(lines.indexOf('-m owner --uid-owner 1337 -j RETURN')).toBeLessThan(last);
    expect(lines.indexOf('-d 127.0.0.1/32 -j RETURN')).toBeLessThan(last);
    expect(lines.indexOf('-o lo -s 127.0.0.6/32 -j RETURN')).toBe(0);
  });
});
