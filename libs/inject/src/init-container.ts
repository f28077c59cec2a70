import { Annotation } from './annotations.ts';
import type { EffectiveConfig } from './effective-config.ts';
import { InjectionError } from './injection-error.ts';
import type { KubeContainer } from './kube-shapes.ts';
import { proxyResources } from './proxy-resources.ts';

export const INIT_CONTAINER_NAME = 'istio-init';
const PROXY_UID = '1337';
const OUTBOUND_CAPTURE_PORT = '15001';
const INBOUND_CAPTURE_PORT = '15006';
/** Never captured inbound: the proxy's Prometheus port and the agent's readiness port. */
const ALWAYS_EXCLUDED_INBOUND = '15090,15021';

/** `istio-init`: runs istio-iptables once, as root, to install the pod's capture rules. */
export function initContainer(image: string, config: EffectiveConfig, annotations: Record<string, string>, where: string): KubeContainer {
  const container: KubeContainer = {
    name: INIT_CONTAINER_NAME,
    image,
    args: iptablesArgs(config, annotations, where),
    imagePullPolicy: 'IfNotPresent',
    resources: proxyResources(annotations, where),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
  const env = Object.entries(config.proxyMetadata).map(([name, value]) => ({ name, value }));
  if (env.length > 0) container.env = env;
  return container;
}

/** istio-iptables' arguments, in the order Istio's template writes them. */
export function iptablesArgs(config: EffectiveConfig, annotations: Record<string, string>, where: string): string[] {
  const read = (name: string, check: (value: string) => boolean, expected: string, fallback?: string): string | undefined => {
    const value = annotations[name];
    if (value === undefined) return fallback;
    const trimmed = value.trim();
    if (!check(trimmed)) throw new InjectionError(`${where}: annotation ${name}: must be ${expected}, got "${value}"`);
    return trimmed;
  };
  const args = [
    'istio-iptables',
    '-p', OUTBOUND_CAPTURE_PORT,
    '-z', INBOUND_CAPTURE_PORT,
    '-u', PROXY_UID,
    '-m', config.interceptionMode,
    '-i', read(Annotation.includeOutboundIpRanges, isCidrSelection, 'a comma-separated list of CIDRs, or "*"', '*')!,
    '-x', read(Annotation.excludeOutboundIpRanges, isCidrList, 'a comma-separated list of CIDRs', '')!,
    '-b', read(Annotation.includeInboundPorts, isPortSelection, 'a comma-separated list of ports, or "*"', '*')!,
    '-d', excludedInboundPorts(config.statusPort, read(Annotation.excludeInboundPorts, isPortList, 'a comma-separated list of ports', '')!),
  ];
  const optional: [string, string, (value: string) => boolean, string][] = [
    ['-o', Annotation.excludeOutboundPorts, isPortList, 'a comma-separated list of ports'],
    ['-q', Annotation.includeOutboundPorts, isPortList, 'a comma-separated list of ports'],
    ['-k', Annotation.kubevirtInterfaces, isInterfaceList, 'a comma-separated list of interface names'],
    ['-c', Annotation.excludeInterfaces, isInterfaceList, 'a comma-separated list of interface names'],
  ];
  for (const [flag, name, check, expected] of optional) {
    const value = read(name, check, expected);
    if (value !== undefined && value !== '') args.push(flag, value);
  }
  if (config.dnsCapture) args.push('--redirect-dns');
  return args;
}

/** The ports the proxy and agent serve on are never captured inbound; the status port joins
 *  the pod's own exclusions unless already there. */
function excludedInboundPorts(statusPort: number, fromAnnotation: string): string {
  const ports = splitList(fromAnnotation);
  if (!ports.includes(String(statusPort))) ports.push(String(statusPort));
  return [ALWAYS_EXCLUDED_INBOUND, ...ports].join(',');
}

function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function isPortList(text: string): boolean {
  return splitList(text).every((port) => /^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535);
}

function isPortSelection(text: string): boolean {
  return text === '*' || isPortList(text);
}

function isCidrList(text: string): boolean {
  return splitList(text).every(isCidr);
}

function isCidrSelection(text: string): boolean {
  return text === '*' || isCidrList(text);
}

function isCidr(text: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text);
  if (v4) return v4.slice(1, 5).every((octet) => Number(octet) <= 255) && (v4[5] === undefined || Number(v4[5]) <= 32);
  const v6 = /^([0-9a-fA-F:]+)(?:\/(\d{1,3}))?$/.exec(text);
  return v6 !== null && v6[1].includes(':') && (v6[2] === undefined || Number(v6[2]) <= 128);
}

function isInterfaceList(text: string): boolean {
  return splitList(text).every((name) => /^[A-Za-z0-9_.@-]{1,15}$/.test(name));
}
