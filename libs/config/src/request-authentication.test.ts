import { describe, expect, it } from 'vitest';
import { loadDocuments } from './yaml-loader.ts';

const policy = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: foo }
spec:
  selector: { matchLabels: { app: httpbin } }
  jwtRules:
  - issuer: testing@secure.istio.io
    jwksUri: https://raw.githubusercontent.com/istio/istio/master/security/tools/jwt/samples/jwks.json
    audiences: [httpbin]
    fromHeaders: [{ name: x-jwt-assertion, prefix: "Bearer " }]
    fromParams: [token]
    outputClaimToHeaders: [{ header: x-jwt-sub, claim: sub }]
    forwardOriginalToken: true
    timeout: 5s
`;

const inlineKeys = JSON.stringify({ keys: [{ kty: 'RSA', e: 'AQAB', n: 'xAE7eB6qugXyCAG3yhh7pkDkT65pHymX-P7KfIupjf59vsdo91bSP9C8H07pSAGQO1MV_xFj9VswgsCg4R6otmg5PV2He95lZdHtOcU5DXIg_pbhLdKXbi66GlVeK6ABZOUW3WYtnNHD-91gVuoeJT_DwtGGcp4ignkgXfkiEm4sw-4sfb4qdt5oLbyVpmW6x9cfa7vs2WTfURiCrBoUqgBo_-4WTiULmmHSGZHOjzwa8WtrtOQGsAFjIbno85jp6MnGGGZPYZbDAa_b3y5u-YpW7ypZrvD8BgtKVjgtQgZhLAGezMt0ua3DRrWnKqTZ0BJ_EyxOGuHJrLsn00fnMQ' }] });

describe('RequestAuthentication validation', () => {
  it.each([
    ['a JWT rule with its token locations', policy],
    ['inline keys', policy.replace(/jwksUri: .*/, `jwks: '${inlineKeys}'`)],
    ['a rule with only jwksUri (v1beta1)', policy.replace('  - issuer: testing@secure.istio.io\n    jwksUri', '  - jwksUri').replace('security.istio.io/v1', 'security.istio.io/v1beta1')],
    ['a targetRef instead of a selector', policy.replace('selector: { matchLabels: { app: httpbin } }', 'targetRef: { group: gateway.networking.k8s.io, kind: Gateway, name: waypoint }')],
  ])('accepts %s', (_what, text) => {
    expect(loadDocuments(text, 'ra.yaml').errors).toEqual([]);
  });

  it.each([
    ['a rule without issuer or jwksUri', policy.replace(/ {2}- issuer: .*\n {4}jwksUri: .*\n {4}audiences/, '  - audiences'), 'spec.jwtRules[0]: issuer or jwksUri must be non-empty string'],
    ['a jwksUri that is not http or https', policy.replace('https://raw', 'ftp://raw'), 'spec.jwtRules[0].jwksUri: URI scheme "ftp" is not supported'],
    ['a jwksUri that is not a URI', policy.replace(/jwksUri: .*/, 'jwksUri: "not a uri"'), 'spec.jwtRules[0].jwksUri: not a valid URI'],
    ['jwks that is not JSON', policy.replace(/jwksUri: .*/, 'jwks: "{keys"'), 'spec.jwtRules[0].jwks: jwks parse error'],
    ['jwks without keys', policy.replace(/jwksUri: .*/, `jwks: '{"keys": []}'`), 'spec.jwtRules[0].jwks: jwks parse error: "keys" must be a non-empty list'],
    ['an empty audience', policy.replace('audiences: [httpbin]', 'audiences: [""]'), 'spec.jwtRules[0].audiences[0]: audience must be a non-empty string'],
    ['a header location without name', policy.replace('{ name: x-jwt-assertion, prefix: "Bearer " }', '{ prefix: "Bearer " }'), 'spec.jwtRules[0].fromHeaders[0].name: location header name must be non-empty string'],
    ['an empty query parameter', policy.replace('fromParams: [token]', 'fromParams: [""]'), 'spec.jwtRules[0].fromParams[0]: location query must be a non-empty string'],
    ['a claim header that is no header name', policy.replace('header: x-jwt-sub', 'header: "x jwt sub"'), 'spec.jwtRules[0].outputClaimToHeaders[0].header: not a valid HTTP header name'],
    ['a claim header without claim', policy.replace(', claim: sub', ''), 'spec.jwtRules[0].outputClaimToHeaders[0]: outputClaimToHeaders header and claim value must be non-empty string'],
    ['a bad timeout', policy.replace('timeout: 5s', 'timeout: soon'), 'spec.jwtRules[0].timeout: must be a duration'],
    ['a selector and a targetRef', policy.replace('  jwtRules:', '  targetRef: { kind: Service, name: httpbin }\n  jwtRules:'), 'spec: only one of targetRefs or workloadSelector can be set'],
    ['a targetRef to another namespace', policy.replace('selector: { matchLabels: { app: httpbin } }', 'targetRef: { kind: Service, name: httpbin, namespace: bar }'), 'spec.targetRef.namespace: cross namespace referencing is not supported'],
    ['a targetRef to an unsupported kind', policy.replace('selector: { matchLabels: { app: httpbin } }', 'targetRef: { kind: Pod, name: httpbin }'), 'spec.targetRef: cannot attach to Pod'],
    ['an unknown rule field', policy.replace('forwardOriginalToken: true', 'forwardToken: true'), 'spec.jwtRules[0].forwardToken: unknown field'],
  ])('rejects %s', (_what, text, expected) => {
    const { objects, errors } = loadDocuments(text, 'ra.yaml');
    expect(objects).toEqual([]);
    expect(errors[0].message).toContain(`RequestAuthentication foo/jwt: ${expected}`);
  });
});
