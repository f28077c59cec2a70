// Istio's PeerAuthentication (security.istio.io v1 and v1beta1): whether a workload's inbound
// traffic must, may or must not be mutual TLS, for the whole mesh (in the root namespace), a
// namespace, or the workloads a selector picks, with per-port exceptions for the latter.
// Checked as Istio checks it; istiod does not apply it yet.
import { map, message, oneOfValues, type Check, type Fail } from './istio-schema.ts';
import type { KubeObject } from './kubernetes-types.ts';
import { workloadSelector, type WorkloadSelector } from './policy-target.ts';

export type MutualTlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthenticationMutualTls {
  mode?: MutualTlsMode;
}

export interface PeerAuthenticationSpec {
  selector?: WorkloadSelector;
  mtls?: PeerAuthenticationMutualTls;
  /** Keyed by the workload's port number. */
  portLevelMtls?: Record<string, PeerAuthenticationMutualTls>;
}

export interface PeerAuthentication extends KubeObject {
  kind: 'PeerAuthentication';
  spec: PeerAuthenticationSpec;
}

const mutualTls: Check = message({ mode: oneOfValues(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']) });

function checkPortKey(key: string, at: string, fail: Fail): void {
  const port = Number(key);
  if (!/^\d+$/.test(key) || port < 1 || port > 65535) fail(`${at}.${key}`, 'port must be in range 1..65535');
}

const peerAuthenticationSpec: Check = message({ selector: workloadSelector, mtls: mutualTls, portLevelMtls: map(mutualTls, checkPortKey) }, (value, at, fail) => {
  const spec = value as PeerAuthenticationSpec;
  const selects = Object.keys(spec.selector?.matchLabels ?? {}).length > 0;
  if (spec.portLevelMtls !== undefined && spec.portLevelMtls !== null) {
    if (Object.keys(spec.portLevelMtls).length === 0) fail(`${at}.portLevelMtls`, 'port level mTLS, if defined, must have at least one element');
    if (!selects) fail(`${at}.portLevelMtls`, 'mesh/namespace peer authentication cannot have port level mTLS (it needs a selector)');
  }
});

export function checkPeerAuthentication(object: KubeObject, fail: Fail): void {
  peerAuthenticationSpec(object.spec ?? {}, 'spec', fail);
}
