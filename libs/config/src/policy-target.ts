// Which workloads a security policy applies to: a workload selector (`selector.matchLabels`),
// or, instead, references to the resources it attaches to (`targetRef`, `targetRefs`), as
// Istio's security.istio.io resources share them.
import { isRecord, list, map, message, string, type Check, type Fail } from './istio-schema.ts';

export interface WorkloadSelector {
  matchLabels?: Record<string, string>;
}

export interface PolicyTargetReference {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkLabelKey(key: string, at: string, fail: Fail): void {
  if (key === '') fail(at, 'empty key is not supported in selector');
  if (key.includes('*')) fail(`${at}.${key}`, 'wildcard is not supported in selector');
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix))) fail(`${at}.${key}`, 'a label key prefix must be a DNS subdomain');
  if (name.length > 63 || !labelName.test(name)) fail(`${at}.${key}`, 'a label key must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit');
}

const labelValue: Check = (value, at, fail) => {
  string(value, at, fail);
  const text = value as string;
  if (text.includes('*')) fail(at, 'wildcard is not supported in selector');
  if (text !== '' && (text.length > 63 || !labelName.test(text))) fail(at, 'a label value must be empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit');
};

export const workloadSelector: Check = message({ matchLabels: map(labelValue, checkLabelKey) });

// The kinds a policy may attach to, as group/kind.
const targetKinds = ['gateway.networking.k8s.io/Gateway', 'gateway.networking.k8s.io/GatewayClass', '/Service', 'networking.istio.io/ServiceEntry'];

const targetReference: Check = message({ group: string, kind: string, name: string, namespace: string }, (value, at, fail) => {
  const ref = value as unknown as PolicyTargetReference;
  if (!ref.kind) fail(`${at}.kind`, 'required');
  if (!ref.name) fail(`${at}.name`, 'required');
  const groupKind = `${ref.group ?? ''}/${ref.kind}`;
  if (!targetKinds.includes(groupKind)) fail(at, `cannot attach to ${ref.group ? `${ref.group} ` : ''}${ref.kind} (allowed: Gateway and GatewayClass of gateway.networking.k8s.io, Service, ServiceEntry of networking.istio.io)`);
});

export const targetRefFields: Record<string, Check> = { selector: workloadSelector, targetRef: targetReference, targetRefs: list(targetReference) };

/** A policy names its workloads one way only, and only in its own namespace. */
export function checkPolicyTarget(spec: Record<string, unknown>, at: string, namespace: string, fail: Fail): void {
  const hasSelector = isRecord(spec.selector);
  if (spec.targetRef && spec.targetRefs) fail(at, 'only one of targetRef or targetRefs can be set');
  if (hasSelector && (spec.targetRef || spec.targetRefs)) fail(at, 'only one of targetRefs or workloadSelector can be set');
  const refs = spec.targetRef ? [[`${at}.targetRef`, spec.targetRef]] : ((spec.targetRefs as unknown[] | undefined) ?? []).map((ref, i) => [`${at}.targetRefs[${i}]`, ref]);
  for (const [refAt, ref] of refs as [string, PolicyTargetReference][]) {
    if (ref.namespace && ref.namespace !== namespace) fail(`${refAt}.namespace`, `cross namespace referencing is not supported, got ${JSON.stringify(ref.namespace)} in namespace ${JSON.stringify(namespace)}`);
  }
}
