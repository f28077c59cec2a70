// Istio's RequestAuthentication (security.istio.io v1 and v1beta1): which JWTs a workload
// accepts (issuer, keys, audiences, where the token is found) and what it passes on. Checked
// as Istio checks it; istiod does not apply it yet.
import { bool, duration, list, message, string, type Check, type Fail } from './istio-schema.ts';
import type { KubeObject } from './kubernetes-types.ts';
import { checkPolicyTarget, targetRefFields, type PolicyTargetReference, type WorkloadSelector } from './policy-target.ts';

export interface JwtHeader {
  name: string;
  prefix?: string;
}

export interface ClaimToHeader {
  header: string;
  claim: string;
}

export interface JwtRule {
  issuer?: string;
  audiences?: string[];
  jwksUri?: string;
  jwks?: string;
  fromHeaders?: JwtHeader[];
  fromParams?: string[];
  fromCookies?: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
  outputClaimToHeaders?: ClaimToHeader[];
  timeout?: string;
}

export interface RequestAuthenticationSpec {
  selector?: WorkloadSelector;
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
  jwtRules?: JwtRule[];
}

export interface RequestAuthentication extends KubeObject {
  kind: 'RequestAuthentication';
  spec: RequestAuthenticationSpec;
}

/** An HTTP header name as RFC 7230 allows it (a token), which Envoy requires of headers it sets. */
const httpHeaderName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const nonEmptyString = (what: string): Check => (value, at, fail) => {
  string(value, at, fail);
  if (value === '') fail(at, `${what} must be a non-empty string`);
};

const jwksUri: Check = (value, at, fail) => {
  string(value, at, fail);
  const url = URL.parse(value as string);
  if (!url) return fail(at, `not a valid URI: ${JSON.stringify(value)}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(at, `URI scheme ${JSON.stringify(url.protocol.slice(0, -1))} is not supported (use http or https)`);
};

/** Inline keys: a JSON Web Key Set (`{"keys": [...]}`) or a single key (`{"kty": ...}`). */
const jwks: Check = (value, at, fail) => {
  string(value, at, fail);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value as string);
  } catch (error) {
    return fail(at, `jwks parse error: ${(error as Error).message}`);
  }
  const keys: unknown = typeof parsed === 'object' && parsed !== null && 'keys' in parsed ? (parsed as { keys: unknown }).keys : [parsed];
  if (!Array.isArray(keys) || keys.length === 0) return fail(at, 'jwks parse error: "keys" must be a non-empty list');
  keys.forEach((key: unknown, i: number) => {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') fail(at, `jwks parse error: key ${i} has no "kty"`);
  });
};

const claimToHeader: Check = message({ header: string, claim: string }, (value, at, fail) => {
  const { header, claim } = value as Partial<ClaimToHeader>;
  if (!header || !claim) fail(at, 'outputClaimToHeaders header and claim value must be non-empty string');
  if (!httpHeaderName.test(header as string)) fail(`${at}.header`, `not a valid HTTP header name: ${JSON.stringify(header)}`);
});

const jwtRule: Check = message(
  {
    issuer: string,
    audiences: list(nonEmptyString('audience')),
    jwksUri,
    jwks,
    fromHeaders: list(message({ name: nonEmptyString('location header name'), prefix: string }, (value, at, fail) => {
      if (value.name === undefined) fail(`${at}.name`, 'location header name must be non-empty string');
    })),
    fromParams: list(nonEmptyString('location query')),
    fromCookies: list(nonEmptyString('cookie name')),
    outputPayloadToHeader: string,
    forwardOriginalToken: bool,
    outputClaimToHeaders: list(claimToHeader),
    timeout: duration(),
  },
  (value, at, fail) => {
    const rule = value as JwtRule;
    if (!rule.issuer && !rule.jwksUri) fail(at, 'issuer or jwksUri must be non-empty string');
  },
);

const requestAuthenticationSpec: Check = message({ ...targetRefFields, jwtRules: list(jwtRule) });

export function checkRequestAuthentication(object: KubeObject, fail: Fail): void {
  const spec = object.spec ?? {};
  requestAuthenticationSpec(spec, 'spec', fail);
  checkPolicyTarget(spec as Record<string, unknown>, 'spec', object.metadata.namespace ?? 'default', fail);
}
