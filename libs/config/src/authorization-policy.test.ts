import { describe, expect, it } from 'vitest';
import { loadDocuments } from './yaml-loader.ts';

const policy = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: httpbin, namespace: foo }
spec:
  selector: { matchLabels: { app: httpbin } }
  action: ALLOW
  rules:
  - from:
    - source:
        principals: [cluster.local/ns/default/sa/sleep]
        namespaces: [dev]
        ipBlocks: [10.0.0.0/8, 192.168.1.7, "2001:db8::/32"]
    to:
    - operation:
        hosts: [httpbin.foo.svc.cluster.local]
        methods: [GET, POST]
        paths: [/info*, "/api/{*}/items/{**}"]
        ports: ["8000"]
    when:
    - key: request.auth.claims[iss]
      values: [https://accounts.google.com]
    - key: destination.port
      notValues: ["9090"]
`;

const load = (text: string) => loadDocuments(text, 'ap.yaml');
const custom = policy.replace('action: ALLOW', 'action: CUSTOM\n  provider: { name: ext-authz }');

describe('AuthorizationPolicy validation', () => {
  it.each([
    ['a policy with from, to and when', policy],
    ['the v1beta1 version', policy.replace('security.istio.io/v1', 'security.istio.io/v1beta1')],
    ['allow-nothing (an empty spec)', 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: allow-nothing }\nspec: {}\n'],
    ['deny-all with an empty rule', 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: deny }\nspec: { action: DENY, rules: [{}] }\n'],
    ['AUDIT', policy.replace('action: ALLOW', 'action: AUDIT')],
    ['CUSTOM with a provider and IP sources', custom.replace(/ {8}principals: .*\n {8}namespaces: .*\n/, '').replace(/ {4}when:[\s\S]*/, '')],
    ['service accounts', policy.replace(/ {8}principals: .*\n {8}namespaces: .*\n/, '        serviceAccounts: [default/sleep, sleep]\n')],
  ])('accepts %s', (_what, text) => {
    expect(load(text).errors).toEqual([]);
  });

  it.each([
    ['an unknown action', policy.replace('action: ALLOW', 'action: PERMIT'), 'spec.action: must be one of ALLOW, DENY, AUDIT, CUSTOM, got "PERMIT"'],
    ['DENY without rules', 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: httpbin, namespace: foo }\nspec: { action: DENY }\n', 'spec.rules: DENY action without `rules` is meaningless'],
    ['CUSTOM without rules', 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: httpbin, namespace: foo }\nspec: { action: CUSTOM, provider: { name: x } }\n', 'spec.rules: CUSTOM action without `rules` is meaningless'],
    ['CUSTOM without a provider', policy.replace('action: ALLOW', 'action: CUSTOM'), 'spec.provider.name: must not be empty for the CUSTOM action'],
    ['CUSTOM matching on namespaces', custom, 'spec.rules[0].from[0].source.namespaces: is currently not supported with CUSTOM action'],
    ['CUSTOM matching on JWT claims', custom.replace(/ {8}principals: .*\n {8}namespaces: .*\n/, ''), 'spec.rules[0].when[0].key: request.auth.claims[iss] is currently not supported with CUSTOM action'],
    ['a provider without CUSTOM', policy.replace('action: ALLOW', 'action: ALLOW\n  provider: { name: ext-authz }'), 'spec.provider: `provider` must not be with non CUSTOM action, found ALLOW'],
    ['an empty from', policy.replace(/ {2}- from:\n {4}- source:\n(.*\n){3}/, '  - from: []\n'), 'spec.rules[0].from: must not be empty'],
    ['a from without source', policy.replace(/ {4}- source:\n(.*\n){3}/, '    - {}\n'), 'spec.rules[0].from[0].source: must not be nil'],
    ['an empty source', policy.replace(/ {4}- source:\n(.*\n){3}/, '    - source: {}\n'), 'spec.rules[0].from[0].source: must not be empty'],
    ['an empty principal', policy.replace('principals: [cluster.local/ns/default/sa/sleep]', 'principals: [""]'), 'spec.rules[0].from[0].source.principals[0]: empty value not allowed'],
    ['a bad IP block', policy.replace('192.168.1.7', '192.168.1.700'), 'spec.rules[0].from[0].source.ipBlocks[1]: bad IP address (192.168.1.700)'],
    ['a bad CIDR range', policy.replace('10.0.0.0/8', '10.0.0.0/33'), 'spec.rules[0].from[0].source.ipBlocks[0]: bad CIDR range (10.0.0.0/33)'],
    ['service accounts with principals', policy.replace('namespaces: [dev]', 'serviceAccounts: [sleep]'), 'spec.rules[0].from[0].source: cannot set serviceAccounts with namespaces or principals'],
    ['a malformed service account', policy.replace(/ {8}principals: .*\n {8}namespaces: .*\n/, '        serviceAccounts: [a/b/c]\n'), "spec.rules[0].from[0].source.serviceAccounts[0]: expected format 'serviceAccount' or 'namespace/serviceAccount'"],
    ['a to without operation', policy.replace(/ {4}- operation:\n(.*\n){4}/, '    - {}\n'), 'spec.rules[0].to[0].operation: must not be nil'],
    ['an empty operation', policy.replace(/ {4}- operation:\n(.*\n){4}/, '    - operation: {}\n'), 'spec.rules[0].to[0].operation: must not be empty'],
    ['a bad port', policy.replace('ports: ["8000"]', 'ports: ["http"]'), 'spec.rules[0].to[0].operation.ports[0]: bad port (http)'],
    ['a numeric port', policy.replace('ports: ["8000"]', 'ports: [8000]'), 'spec.rules[0].to[0].operation.ports[0]: must be a string'],
    ['{**} before the end of a path', policy.replace('/api/{*}/items/{**}', '/api/{**}/{*}'), 'spec.rules[0].to[0].operation.paths[1]: invalid or unsupported path /api/{**}/{*}: {**} is not the last operator'],
    ['a brace outside a template', policy.replace('/api/{*}/items/{**}', '/api/{id}'), "spec.rules[0].to[0].operation.paths[1]: invalid or unsupported path /api/{id}: contains '{' or '}' beyond a supported path template"],
    ['a condition without key', policy.replace('key: request.auth.claims[iss]', 'key: ""'), 'spec.rules[0].when[0].key: `key` must not be empty'],
    ['a condition without values', policy.replace('      notValues: ["9090"]\n', ''), 'spec.rules[0].when[1]: at least one of `values` or `notValues` must be set for key destination.port'],
    ['an unknown condition key', policy.replace('key: destination.port', 'key: destination.service'), 'spec.rules[0].when[1].key: unknown attribute: destination.service'],
    ['a claim key without brackets', policy.replace('request.auth.claims[iss]', 'request.auth.claims'), 'spec.rules[0].when[0].key: bad key (request.auth.claims): should have format a[b]'],
    ['a bad port value in a condition', policy.replace('notValues: ["9090"]', 'notValues: ["99999"]'), 'spec.rules[0].when[1].notValues[0]: bad port (99999)'],
    ['a bad IP value in a condition', policy.replace('key: destination.port\n      notValues: ["9090"]', 'key: source.ip\n      values: [10.0.0.256]'), 'spec.rules[0].when[1].values[0]: bad IP address (10.0.0.256)'],
    ['a replaced attribute', policy.replace('key: destination.port', 'key: destination.namespace'), 'spec.rules[0].when[1].key: attribute destination.namespace is replaced by the metadata.namespace'],
    ['a v1alpha1-only attribute', policy.replace('key: destination.port', 'key: destination.user'), 'spec.rules[0].when[1].key: deprecated attribute destination.user: only supported in v1alpha1'],
    ['a selector and targetRefs', policy.replace('  action: ALLOW', '  targetRefs: [{ kind: Service, name: httpbin }]\n  action: ALLOW'), 'spec: only one of targetRefs or workloadSelector can be set'],
    ['an unknown field in a source', policy.replace('namespaces: [dev]', 'namespace: [dev]'), 'spec.rules[0].from[0].source.namespace: unknown field'],
  ])('rejects %s', (_what, text, expected) => {
    const { objects, errors } = load(text);
    expect(objects).toEqual([]);
    expect(errors[0].message).toContain(`AuthorizationPolicy foo/httpbin: ${expected}`);
  });
});
