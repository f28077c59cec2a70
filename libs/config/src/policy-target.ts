// Which workloads a security policy applies to: a workload selector (`selector.matchLabels`),
// or, instead, references to the resources it attaches to (`targetRef`, `targetRefs`), as
// Istio's security.istio.io resources share them.
import { isRecord, list, map, message, string, type Check, type Fail } from './istio-schema.ts';
import { checkLabelKey, labelValue } from './labels.ts';

export interface WorkloadSelector {
  matchLabels?: Record<string, string>;
}

export interface PolicyTargetReference {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

// Istio refuses wildcards in selectors, beyond Kubernetes' own label syntax.
const selectorLabels: Check = map(
  (value, at, fail) => {
    if (typeof value === 'string' && value.includes('*')) fail(at, 'wildcard is not supported in selector');
    labelValue(value, at, fail);
  },
  (key, at, fail) => {
    if (key.includes('*')) fail(`${at}.${key}`, 'wildcard is not supported in selector');
    checkLabelKey(key, at, fail);
  },
);

export const workloadSelector: Check = message({ matchLabels: selectorLabels });

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
