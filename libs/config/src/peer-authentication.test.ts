import { describe, expect, it } from 'vitest';
import { loadDocuments } from './yaml-loader.ts';

const policy = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: reviews, namespace: bookinfo }
spec:
  selector: { matchLabels: { app: reviews } }
  mtls: { mode: STRICT }
  portLevelMtls:
    8080: { mode: DISABLE }
`;

describe('PeerAuthentication validation', () => {
  it.each([
    ['a workload policy with port-level modes', policy],
    ['the v1beta1 version', policy.replace('security.istio.io/v1', 'security.istio.io/v1beta1')],
    ['a namespace-wide policy', 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: default, namespace: bookinfo }\nspec: { mtls: { mode: PERMISSIVE } }\n'],
    ['an empty spec', 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: default }\nspec: {}\n'],
  ])('accepts %s', (_what, text) => {
    expect(loadDocuments(text, 'pa.yaml').errors).toEqual([]);
  });

  it.each([
    ['an unknown mode', policy.replace('STRICT', 'MUTUAL'), 'spec.mtls.mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT, got "MUTUAL"'],
    ['port 0', policy.replace('8080:', '0:'), 'spec.portLevelMtls.0: port must be in range 1..65535'],
    ['a port out of range', policy.replace('8080:', '70000:'), 'spec.portLevelMtls.70000: port must be in range 1..65535'],
    ['a named port', policy.replace('8080:', 'http:'), 'spec.portLevelMtls.http: port must be in range 1..65535'],
    ['port-level modes without a selector', policy.replace('  selector: { matchLabels: { app: reviews } }\n', ''), 'spec.portLevelMtls: mesh/namespace peer authentication cannot have port level mTLS'],
    ['an empty portLevelMtls', policy.replace('  portLevelMtls:\n    8080: { mode: DISABLE }\n', '  portLevelMtls: {}\n'), 'spec.portLevelMtls: port level mTLS, if defined, must have at least one element'],
    ['a wildcard in the selector', policy.replace('app: reviews', 'app: "*"'), 'spec.selector.matchLabels.app: wildcard is not supported in selector'],
    ['a bad label key', policy.replace('app: reviews', '"-app": reviews'), 'spec.selector.matchLabels.-app: a label key must be'],
    ['an unknown field', policy.replace('mtls: { mode: STRICT }', 'mtls: { mode: STRICT, strict: true }'), 'spec.mtls.strict: unknown field'],
    ['an unsupported version', policy.replace('security.istio.io/v1', 'security.istio.io/v1alpha1'), 'apiVersion: PeerAuthentication must be one of security.istio.io/v1, security.istio.io/v1beta1'],
  ])('rejects %s', (_what, text, expected) => {
    const { objects, errors } = loadDocuments(text, 'pa.yaml');
    expect(objects).toEqual([]);
    expect(errors[0].message).toContain(`PeerAuthentication bookinfo/reviews: ${expected}`);
  });
});
