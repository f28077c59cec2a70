import { ConfigError, asObject, compileStringMatch, oneOf, onlyFields, requiredObject } from '@mizzen/filters';

export type SanType = 'DNS' | 'URI' | 'EMAIL' | 'IP_ADDRESS' | 'ANY';

/** One entry of match_typed_subject_alt_names (or of the untyped match_subject_alt_names). */
export interface SanMatcher {
  readonly type: SanType;
  readonly matches: (value: string) => boolean;
}

// How Node's subjectaltname string labels each kind of name.
const NODE_LABELS: Record<string, SanType> = { DNS: 'DNS', URI: 'URI', email: 'EMAIL', 'IP Address': 'IP_ADDRESS' };

export function compileTypedSanMatcher(value: unknown, path: string): SanMatcher {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['san_type', 'matcher']);
  const type = oneOf(obj, 'san_type', path, ['DNS', 'URI', 'EMAIL', 'IP_ADDRESS', 'SAN_TYPE_UNSPECIFIED'], 'SAN_TYPE_UNSPECIFIED');
  if (type === 'SAN_TYPE_UNSPECIFIED') throw new ConfigError(`${path}.san_type`, 'required');
  return { type, matches: compileStringMatch(requiredObject(obj, 'matcher', path), `${path}.matcher`) };
}

/** match_subject_alt_names (deprecated in Envoy, still sent): a matcher over every SAN. */
export function compileUntypedSanMatcher(value: unknown, path: string): SanMatcher {
  return { type: 'ANY', matches: compileStringMatch(asObject(value, path), path) };
}

/** The SANs of a peer certificate, from Node's "DNS:a, URI:spiffe://b, IP Address:10.0.0.1". */
export function parseSubjectAltNames(subjectaltname: string | undefined): { type: SanType; value: string }[] {
  if (!subjectaltname) return [];
  const names: { type: SanType; value: string }[] = [];
  // "LABEL:value" entries joined by ", "; Node quotes a value that holds a separator (URI:"a, b").
  for (const [, label, quoted, plain] of subjectaltname.matchAll(/([^:,]+?):(?:("(?:[^"\\]|\\.)*")|([^,]*))(?:, |$)/g)) {
    const type = NODE_LABELS[label.trim()];
    if (type) names.push({ type, value: quoted !== undefined ? (JSON.parse(quoted) as string) : plain });
  }
  return names;
}

/** Envoy accepts the peer when any matcher matches any SAN of its type; no matchers accept all. */
export function sanAccepted(matchers: readonly SanMatcher[], subjectaltname: string | undefined): boolean {
  if (matchers.length === 0) return true;
  const names = parseSubjectAltNames(subjectaltname);
  return matchers.some((m) => names.some((n) => (m.type === 'ANY' || m.type === n.type) && m.matches(n.value)));
}
