// Istio's MeshConfig, the mesh-wide settings of the `istio` ConfigMap (its `mesh` key, YAML).
// Each field Mizzen reads is checked on its own: a bad one is reported with its path and left
// out, so the others still apply and the mesh keeps being served.
import type { ConnectionPoolSettings } from './destination-rule.ts';
import { bool, dnsLabelName, duration, isRecord, join, message, oneOfValues, typeName, uint32, type Check, type Fail } from './istio-schema.ts';
import type { HTTPRetry } from './virtual-service.ts';
import { retries } from './virtual-service.ts';

export type TcpKeepalive = NonNullable<NonNullable<ConnectionPoolSettings['tcp']>['tcpKeepalive']>;

/** The MeshConfig fields Mizzen acts on (access logs are read with their own checks). */
export interface MeshConfig {
  /** Where a sidecar sends traffic for hosts it does not know, unless its Sidecar says. */
  outboundTrafficPolicy?: { mode?: 'ALLOW_ANY' | 'REGISTRY_ONLY' };
  /** The retry policy of routes that have none of their own. */
  defaultHttpRetryPolicy?: HTTPRetry;
  /** Clusters' connect_timeout, unless a DestinationRule sets its own. */
  connectTimeout?: string;
  /** Upstream TCP keepalive, field by field under a DestinationRule's. */
  tcpKeepalive?: TcpKeepalive;
  enableAutoMtls?: boolean;
  trustDomain?: string;
  /** Where mesh-wide Sidecar and DestinationRule defaults live. */
  rootNamespace?: string;
}

const trustDomainLabel = /^[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?$/;

const trustDomain: Check = (value: unknown, at: string, fail: Fail) => {
  if (typeof value !== 'string' || value === '' || value.length > 255 || !value.split('.').every((l) => trustDomainLabel.test(l))) {
    fail(at, `must be a domain such as "cluster.local", got ${JSON.stringify(value)}`);
  }
};

const checks: Record<keyof MeshConfig, Check> = {
  outboundTrafficPolicy: message({ mode: oneOfValues(['ALLOW_ANY', 'REGISTRY_ONLY']) }),
  defaultHttpRetryPolicy: retries,
  connectTimeout: duration(0.001),
  tcpKeepalive: message({ probes: uint32, time: duration(0), interval: duration(0) }),
  enableAutoMtls: bool,
  trustDomain,
  rootNamespace: dnsLabelName,
};

/** The other MeshConfig fields Istio knows: accepted and left to the parts that read them. */
const otherFields = new Set([
  'accessLogFile',
  'accessLogFormat',
  'accessLogEncoding',
  'enableEnvoyAccessLogService',
  'disableEnvoyListenerLog',
  'proxyListenPort',
  'proxyInboundListenPort',
  'proxyHttpPort',
  'protocolDetectionTimeout',
  'ingressClass',
  'ingressService',
  'ingressControllerMode',
  'ingressSelector',
  'enableTracing',
  'defaultConfig',
  'inboundTrafficPolicy',
  'configSources',
  'trustDomainAliases',
  'caCertificates',
  'defaultServiceExportTo',
  'defaultVirtualServiceExportTo',
  'defaultDestinationRuleExportTo',
  'localityLbSetting',
  'dnsRefreshRate',
  'h2UpgradePolicy',
  'inboundClusterStatName',
  'outboundClusterStatName',
  'certificates',
  'serviceSettings',
  'enablePrometheusMerge',
  'verifyCertificateAtClient',
  'ca',
  'extensionProviders',
  'defaultProviders',
  'discoverySelectors',
  'pathNormalization',
  'meshMTLS',
  'tlsDefaults',
  'serviceScopeConfigs',
  'sdsUdsPath',
  'thriftConfig',
]);

/** Reads a parsed mesh config (`at` names where it came from, for the errors): the fields that
 *  pass their checks, and one error per field that does not, naming its path and the reason. */
export function readMeshConfig(mesh: unknown, at = 'mesh'): { mesh: MeshConfig; errors: string[] } {
  if (mesh === null || mesh === undefined) return { mesh: {}, errors: [] };
  if (!isRecord(mesh)) return { mesh: {}, errors: [`${at}: must be a mapping of MeshConfig fields, got ${typeName(mesh)}`] };
  const out: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const [key, value] of Object.entries(mesh)) {
    const check = Object.hasOwn(checks, key) ? checks[key as keyof MeshConfig] : undefined;
    if (!check) {
      if (!otherFields.has(key)) errors.push(`${join(at, key)}: unknown MeshConfig field, ignored`);
      continue;
    }
    if (value === null || value === undefined) continue;
    const problem = checkField(check, value, join(at, key));
    if (problem) errors.push(`${problem}; the default is used`);
    else out[key] = value;
  }
  return { mesh: out as MeshConfig, errors };
}

class FieldError extends Error {}

function checkField(check: Check, value: unknown, at: string): string | undefined {
  const fail: Fail = (field, reason) => {
    throw new FieldError(`${field}: ${reason}`);
  };
  try {
    check(value, at, fail);
    return undefined;
  } catch (error) {
    if (error instanceof FieldError) return error.message;
    throw error;
  }
}
