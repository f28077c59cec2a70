// Istio's Sidecar (networking.istio.io v1, v1beta1 and v1alpha3): which services a sidecar
// proxy sees (its egress hosts) and what happens to traffic for hosts it does not know.
// Checked as Istio checks it.
import { host as hostName, list, map, message, oneOfValues, portNumber, string, stringMap, type Check, type Fail } from './istio-schema.ts';
import { istioPort, type GatewayPort } from './gateway.ts';
import type { KubeObject } from './kubernetes-types.ts';

export interface IstioEgressListener {
  port?: GatewayPort;
  bind?: string;
  captureMode?: 'DEFAULT' | 'IPTABLES' | 'NONE';
  /** "namespace/host": "./*", "istio-system/*", "*\/reviews.default.svc.cluster.local". */
  hosts: string[];
}

export interface IstioIngressListener {
  port: GatewayPort;
  bind?: string;
  captureMode?: 'DEFAULT' | 'IPTABLES' | 'NONE';
  defaultEndpoint?: string;
}

export interface OutboundTrafficPolicy {
  mode?: 'REGISTRY_ONLY' | 'ALLOW_ANY';
  egressProxy?: { host: string; subset?: string; port?: { number: number } };
}

export interface SidecarSpec {
  workloadSelector?: { labels?: Record<string, string> };
  ingress?: IstioIngressListener[];
  egress?: IstioEgressListener[];
  outboundTrafficPolicy?: OutboundTrafficPolicy;
  inboundConnectionPool?: Record<string, unknown>;
}

export interface Sidecar extends KubeObject {
  kind: 'Sidecar';
  spec: SidecarSpec;
}

const captureMode = oneOfValues(['DEFAULT', 'IPTABLES', 'NONE']);

/** An egress host: "namespace/host", where namespace is ".", "*", "~" or a namespace name. */
const egressHost: Check = (value: unknown, at: string, fail: Fail) => {
  if (typeof value !== 'string' || !value.includes('/')) fail(at, `must be of the form namespace/host (such as "./*" or "istio-system/*"), got ${JSON.stringify(value)}`);
  const [namespace, host, ...rest] = value.split('/');
  if (rest.length > 0) fail(at, `must have one "/", got ${JSON.stringify(value)}`);
  if (namespace !== '.' && namespace !== '*' && namespace !== '~' && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    fail(at, `the namespace before "/" must be ".", "*", "~" or a namespace name, got ${JSON.stringify(namespace)}`);
  }
  hostName(host, at, fail);
};

const egressListener: Check = message({ port: istioPort, bind: string, captureMode, hosts: list(egressHost) }, (value, at, fail) => {
  if (!Array.isArray(value.hosts) || value.hosts.length === 0) fail(`${at}.hosts`, 'required: at least one namespace/host');
});

const ingressListener: Check = message({ port: istioPort, bind: string, captureMode, defaultEndpoint: string, connectionPool: map(() => undefined), tls: map(() => undefined) }, (value, at, fail) => {
  if (value.port === undefined) fail(`${at}.port`, 'required');
});

const outboundTrafficPolicy: Check = message({
  mode: oneOfValues(['REGISTRY_ONLY', 'ALLOW_ANY']),
  egressProxy: message({ host: hostName, subset: string, port: message({ number: portNumber }) }),
});

const sidecarSpec: Check = message(
  {
    workloadSelector: message({ labels: stringMap }),
    ingress: list(ingressListener),
    egress: list(egressListener),
    outboundTrafficPolicy,
    inboundConnectionPool: map(() => undefined),
  },
  (value, at, fail) => {
    const spec = value as unknown as SidecarSpec;
    if (!spec.egress?.length && !spec.ingress?.length && !spec.outboundTrafficPolicy && !spec.inboundConnectionPool) fail(at, 'empty: set egress, ingress, outboundTrafficPolicy or inboundConnectionPool');
    if (spec.workloadSelector && Object.keys(spec.workloadSelector.labels ?? {}).length === 0) fail(`${at}.workloadSelector.labels`, 'required: at least one label');
    const catchAll = (spec.egress ?? []).filter((e) => e.port === undefined);
    if (catchAll.length > 1) fail(`${at}.egress`, 'only one egress listener may leave out port');
    const ports = new Set<number>();
    (spec.egress ?? []).forEach((e, i) => {
      if (!e.port) return;
      if (ports.has(e.port.number)) fail(`${at}.egress[${i}].port.number`, `duplicate egress port ${e.port.number}`);
      ports.add(e.port.number);
    });
  },
);

export function checkSidecar(object: KubeObject, fail: Fail): void {
  if (object.spec === undefined) fail('spec', 'required mapping is missing');
  sidecarSpec(object.spec, 'spec', fail);
}
