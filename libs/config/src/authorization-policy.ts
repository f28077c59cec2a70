// Istio's AuthorizationPolicy (security.istio.io v1 and v1beta1): which requests a workload
// allows, denies, audits or hands to an external authorizer (CUSTOM), by who sends them
// (`from`), what they ask for (`to`) and further conditions (`when`). Checked as Istio checks
// it, condition keys and their values included; istiod does not apply it yet.
import { list, message, oneOfValues, string, type Check, type Fail } from './istio-schema.ts';
import { checkIpOrCidr } from './ip-address.ts';
import type { KubeObject } from './kubernetes-types.ts';
import { checkPolicyTarget, targetRefFields, type PolicyTargetReference, type WorkloadSelector } from './policy-target.ts';

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

export interface Source {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
}

export interface Operation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface Condition {
  key: string;
  values?: string[];
  notValues?: string[];
}

export interface AuthorizationRule {
  from?: { source?: Source }[];
  to?: { operation?: Operation }[];
  when?: Condition[];
}

export interface AuthorizationPolicySpec {
  selector?: WorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
  rules?: AuthorizationRule[];
  action?: AuthorizationAction;
  provider?: { name?: string };
}

export interface AuthorizationPolicy extends KubeObject {
  kind: 'AuthorizationPolicy';
  spec: AuthorizationPolicySpec;
}

function checkPortText(value: string, at: string, fail: Fail): void {
  if (!/^\d+$/.test(value) || Number(value) > 65535) fail(at, `bad port (${value}): must be a number from 0 to 65535`);
}

/** A list of strings none of which is empty; `each` checks them further. */
function values(each?: (value: string, at: string, fail: Fail) => void): Check {
  return list((value, at, fail) => {
    string(value, at, fail);
    if (value === '') fail(at, 'empty value not allowed');
    each?.(value as string, at, fail);
  });
}

function checkServiceAccount(value: string, at: string, fail: Fail): void {
  if (value.includes('*')) fail(at, 'wildcard not allowed');
  if (value.length > 320) fail(at, 'value cannot exceed 320 characters');
  const parts = value.split('/');
  if (parts.length > 2 || parts.some((part) => part === '')) fail(at, `expected format 'serviceAccount' or 'namespace/serviceAccount', got ${JSON.stringify(value)}`);
}

const serviceAccounts: Check = (value, at, fail) => {
  values(checkServiceAccount)(value, at, fail);
  if ((value as string[]).length > 16) fail(at, 'may not have more than 16 values');
};

// Istio's path templates: "{*}" matches one segment, "{**}" any number and only at the end.
function checkPathTemplate(path: string, at: string, fail: Fail): void {
  const templated = path.includes('{*}') || path.includes('{**}');
  let sawMatchAny = false;
  for (const segment of path.replace(/^\/+|\/+$/g, '').split('/')) {
    if (segment === '{*}' || segment === '{**}') {
      if (sawMatchAny) fail(at, `invalid or unsupported path ${path}: {**} is not the last operator`);
      sawMatchAny = segment === '{**}';
      continue;
    }
    if (/[{}]/.test(segment)) fail(at, `invalid or unsupported path ${path}: contains '{' or '}' beyond a supported path template`);
    if (templated && !/^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/.test(segment)) fail(at, `invalid or unsupported path ${path}: segment ${JSON.stringify(segment)} is not a valid path literal`);
  }
}

const sourceFields = ['principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'] as const;

const source: Check = message(
  {
    principals: values(),
    notPrincipals: values(),
    requestPrincipals: values(),
    notRequestPrincipals: values(),
    namespaces: values(),
    notNamespaces: values(),
    serviceAccounts,
    notServiceAccounts: serviceAccounts,
    ipBlocks: values(checkIpOrCidr),
    notIpBlocks: values(checkIpOrCidr),
    remoteIpBlocks: values(checkIpOrCidr),
    notRemoteIpBlocks: values(checkIpOrCidr),
  },
  (value, at, fail) => {
    const src = value as Source;
    if (!sourceFields.some((field) => (src[field]?.length ?? 0) > 0)) fail(at, 'must not be empty: set at least one of principals, namespaces, serviceAccounts, ipBlocks, ... or their not-forms');
    const identities = [src.principals, src.notPrincipals, src.namespaces, src.notNamespaces].some((v) => (v?.length ?? 0) > 0);
    if (identities && [src.serviceAccounts, src.notServiceAccounts].some((v) => (v?.length ?? 0) > 0)) fail(at, 'cannot set serviceAccounts with namespaces or principals');
  },
);

const operationFields = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;

const operation: Check = message(
  {
    hosts: values(),
    notHosts: values(),
    ports: values(checkPortText),
    notPorts: values(checkPortText),
    methods: values(),
    notMethods: values(),
    paths: values(checkPathTemplate),
    notPaths: values(checkPathTemplate),
  },
  (value, at, fail) => {
    const op = value as Operation;
    if (!operationFields.some((field) => (op[field]?.length ?? 0) > 0)) fail(at, 'must not be empty: set at least one of hosts, ports, methods, paths or their not-forms');
  },
);

/** Keys of the form "name[inner]", such as request.headers[User-Agent]. */
function checkBracketKey(key: string, at: string, fail: Fail): void {
  const open = key.indexOf('[');
  if (!(key.endsWith(']') && open > 0 && open < key.length - 2)) fail(at, `bad key (${key}): should have format a[b]`);
}

/** How each condition key checks its values; undefined for a key Istio does not know. */
function conditionValueCheck(key: string, at: string, fail: Fail): ((value: string, at: string, fail: Fail) => void) | undefined {
  if (key.startsWith('request.headers') || key.startsWith('request.experimental.inline.headers') || key.startsWith('request.auth.claims') || key.startsWith('experimental.envoy.filters.')) {
    checkBracketKey(key, at, fail);
    return () => {};
  }
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return checkIpOrCidr;
    case 'destination.port':
      return checkPortText;
    case 'source.serviceAccount':
      return checkServiceAccount;
    case 'source.namespace':
    case 'source.principal':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'connection.sni':
      return () => {};
    case 'destination.namespace':
      fail(at, `attribute ${key} is replaced by the metadata.namespace`);
      break;
    case 'destination.name':
    case 'destination.user':
      fail(at, `deprecated attribute ${key}: only supported in v1alpha1`);
  }
  if (key.startsWith('destination.labels')) fail(at, `attribute ${key} is replaced by the workload selector`);
  return undefined;
}

const condition: Check = message({ key: string, values: values(), notValues: values() }, (value, at, fail) => {
  const cond = value as Partial<Condition>;
  if (!cond.key) fail(`${at}.key`, '`key` must not be empty');
  if (!cond.values?.length && !cond.notValues?.length) fail(at, `at least one of \`values\` or \`notValues\` must be set for key ${cond.key}`);
  const key = cond.key as string;
  const check = conditionValueCheck(key, `${at}.key`, fail) ?? fail(`${at}.key`, `unknown attribute: ${key}`);
  cond.values?.forEach((v, i) => check(v, `${at}.values[${i}]`, fail));
  cond.notValues?.forEach((v, i) => check(v, `${at}.notValues[${i}]`, fail));
});

const sourceHolder: Check = message({ source }, (value, at, fail) => {
  if (value.source === undefined || value.source === null) fail(`${at}.source`, 'must not be nil');
});

const operationHolder: Check = message({ operation }, (value, at, fail) => {
  if (value.operation === undefined || value.operation === null) fail(`${at}.operation`, 'must not be nil');
});

const nonEmptyList = (item: Check): Check => (value, at, fail) => {
  list(item)(value, at, fail);
  if ((value as unknown[]).length === 0) fail(at, 'must not be empty (leave it out to match every request)');
};

const rule: Check = message({ from: nonEmptyList(sourceHolder), to: nonEmptyList(operationHolder), when: list(condition) });

const authorizationPolicySpec: Check = message({
  ...targetRefFields,
  rules: list((value, at, fail) => {
    if (value === null) fail(at, '`rule` must not be nil');
    rule(value, at, fail);
  }),
  action: oneOfValues(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']),
  provider: message({ name: string }),
});

// What a CUSTOM (external authorizer) policy cannot match on yet, as in Istio.
const customUnsupportedSources = ['namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals'] as const;

function checkAction(spec: AuthorizationPolicySpec, fail: Fail): void {
  const action = spec.action ?? 'ALLOW';
  const rules = spec.rules ?? [];
  if (spec.provider && action !== 'CUSTOM') fail('spec.provider', `\`provider\` must not be with non CUSTOM action, found ${action}`);
  if ((action === 'DENY' || action === 'CUSTOM') && rules.length === 0) {
    fail('spec.rules', `${action} action without \`rules\` is meaningless as it will never be triggered, add an empty rule \`{}\` if you want it be triggered for every request`);
  }
  if (action !== 'CUSTOM') return;
  if (!spec.provider?.name) fail('spec.provider.name', 'must not be empty for the CUSTOM action');
  rules.forEach((r, i) => {
    r.from?.forEach((from, j) => {
      for (const field of customUnsupportedSources) {
        if (from.source?.[field]?.length) fail(`spec.rules[${i}].from[${j}].source.${field}`, 'is currently not supported with CUSTOM action');
      }
    });
    r.when?.forEach((when, j) => {
      if (['source.namespace', 'source.serviceAccount', 'source.principal'].includes(when.key) || when.key.startsWith('request.auth.')) {
        fail(`spec.rules[${i}].when[${j}].key`, `${when.key} is currently not supported with CUSTOM action`);
      }
    });
  });
}

export function checkAuthorizationPolicy(object: KubeObject, fail: Fail): void {
  const spec = object.spec ?? {};
  authorizationPolicySpec(spec, 'spec', fail);
  checkPolicyTarget(spec as Record<string, unknown>, 'spec', object.metadata.namespace ?? 'default', fail);
  checkAction(spec as AuthorizationPolicySpec, fail);
}
