// Istio's ServiceEntry (networking.istio.io v1, v1beta1 and v1alpha3): services the mesh should
// know that Kubernetes does not list, such as external APIs. Checked as Istio checks it.
import { exportTo, host, integer, list, map, message, oneOfValues, portNumber, string, stringMap, type Check, type Fail } from './istio-schema.ts';
import { istioPort, type GatewayPort } from './gateway.ts';
import type { KubeObject } from './kubernetes-types.ts';

export interface WorkloadEntrySpec {
  address?: string;
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}

export interface ServiceEntrySpec {
  hosts: string[];
  addresses?: string[];
  ports?: GatewayPort[];
  location?: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  resolution?: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  endpoints?: WorkloadEntrySpec[];
  workloadSelector?: { labels?: Record<string, string> };
  exportTo?: string[];
  subjectAltNames?: string[];
}

export interface ServiceEntry extends KubeObject {
  kind: 'ServiceEntry';
  spec: ServiceEntrySpec;
}

const workloadEntry: Check = message({
  address: string,
  ports: map(portNumber),
  labels: stringMap,
  network: string,
  locality: string,
  weight: integer(0, 4294967295),
  serviceAccount: string,
});

const serviceEntrySpec: Check = message(
  {
    hosts: list(host),
    addresses: list(string),
    ports: list(istioPort),
    location: oneOfValues(['MESH_EXTERNAL', 'MESH_INTERNAL']),
    resolution: oneOfValues(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']),
    endpoints: list(workloadEntry),
    workloadSelector: message({ labels: stringMap }),
    exportTo,
    subjectAltNames: list(string),
  },
  (value, at, fail) => {
    const spec = value as unknown as ServiceEntrySpec;
    if (!Array.isArray(spec.hosts) || spec.hosts.length === 0) fail(`${at}.hosts`, 'required: at least one host');
    if (spec.endpoints && spec.workloadSelector) fail(at, 'only one of endpoints and workloadSelector may be set');
    const names = new Set<string>();
    const numbers = new Set<number>();
    (spec.ports ?? []).forEach((port, i) => {
      if (names.has(port.name)) fail(`${at}.ports[${i}].name`, `duplicate port name ${JSON.stringify(port.name)}`);
      if (numbers.has(port.number)) fail(`${at}.ports[${i}].number`, `duplicate port number ${port.number}`);
      names.add(port.name);
      numbers.add(port.number);
    });
    const resolution = spec.resolution ?? 'NONE';
    (spec.endpoints ?? []).forEach((endpoint, i) => {
      if (!endpoint.address && resolution !== 'DNS' && resolution !== 'DNS_ROUND_ROBIN') fail(`${at}.endpoints[${i}].address`, `required with resolution ${resolution}`);
      for (const name of Object.keys(endpoint.ports ?? {})) {
        if (!names.has(name)) fail(`${at}.endpoints[${i}].ports.${name}`, 'names no port of the ServiceEntry');
      }
    });
    if (resolution === 'STATIC' && !spec.workloadSelector && (spec.endpoints ?? []).length === 0) fail(`${at}.endpoints`, 'required with resolution STATIC');
    if ((resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && (spec.endpoints ?? []).length === 0 && spec.hosts.some((h) => h.startsWith('*'))) {
      fail(`${at}.hosts`, `a wildcard host cannot be resolved by ${resolution} without endpoints`);
    }
    if ((spec.ports ?? []).length === 0 && resolution !== 'NONE') fail(`${at}.ports`, `required with resolution ${resolution}`);
  },
);

export function checkServiceEntry(object: KubeObject, fail: Fail): void {
  if (object.spec === undefined) fail('spec', 'required mapping is missing');
  serviceEntrySpec(object.spec, 'spec', fail);
}
