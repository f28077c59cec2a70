// Istio's WorkloadEntry (networking.istio.io v1, v1beta1 and v1alpha3): a workload outside
// Kubernetes (a VM, a bare-metal host) with its address, ports and labels, which ServiceEntries
// select as they select pods. Checked as Istio checks it; istiod does not add them to its
// registry yet.
import { integer, map, message, portNumber, string, type Check, type Fail } from './istio-schema.ts';
import type { KubeObject } from './kubernetes-types.ts';
import { labels } from './labels.ts';
import type { WorkloadEntrySpec } from './service-entry.ts';

export interface WorkloadEntry extends KubeObject {
  kind: 'WorkloadEntry';
  spec: WorkloadEntrySpec;
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv6 = /^[0-9A-Fa-f:.]+$/;
const fqdnLabel = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
const portName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An IP address, a DNS name (for DNS resolution) or "unix:///absolute/path". */
function checkAddress(address: string, at: string, fail: Fail): void {
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (!path.startsWith('/') && !path.startsWith('@')) fail(at, `unix endpoint ${address} must name an absolute path (unix:///path) or an abstract socket (unix://@name)`);
    return;
  }
  if (ipv4.test(address) || (address.includes(':') && ipv6.test(address))) return;
  const labels = address.replace(/\.$/, '').split('.');
  if (address.length > 255 || labels.some((label) => label.length > 63 || !fqdnLabel.test(label)) || /^\d+$/.test(labels.at(-1) ?? '')) {
    fail(at, `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address`);
  }
}

const workloadEntrySpec: Check = message(
  {
    address: string,
    ports: map(portNumber, (name, at, fail) => {
      if (name.length > 63 || !portName.test(name)) fail(`${at}.${name}`, 'a port name must be a DNS label (lowercase letters, digits and "-")');
    }),
    labels,
    network: string,
    locality: string,
    weight: integer(0, 4294967295),
    serviceAccount: string,
  },
  (value, at, fail) => {
    const spec = value as WorkloadEntrySpec;
    if (!spec.address) {
      if (!spec.network) fail(`${at}.address`, 'address is required (unless network is set)');
      return;
    }
    checkAddress(spec.address, `${at}.address`, fail);
    if (spec.address.startsWith('unix://') && Object.keys(spec.ports ?? {}).length > 0) fail(`${at}.ports`, `unix endpoint ${spec.address} must not include ports`);
  },
);

export function checkWorkloadEntry(object: KubeObject, fail: Fail): void {
  if (object.spec === undefined) fail('spec', 'required mapping is missing');
  workloadEntrySpec(object.spec, 'spec', fail);
}
