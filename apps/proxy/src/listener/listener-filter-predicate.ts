// A listener filter's `filter_disabled` (Envoy's ListenerFilterChainMatchPredicate): a rule on
// the connection's destination port that turns the filter off for it. Istio uses it to run the
// tls_inspector and http_inspector only on the ports whose chains need what they find.
import { ConfigError, asObject, optionalInteger, optionalObject, type JsonObject } from '@mizzen/filters';

/** What a predicate looks at: the connection's destination (after original_dst). */
export interface PredicateFacts {
  readonly destinationPort: number;
}

export type ListenerFilterPredicate = (facts: PredicateFacts) => boolean;

const RULES = ['or_match', 'and_match', 'not_match', 'any_match', 'destination_port_range'];

/** Compiles a ListenerFilterChainMatchPredicate; throws a ConfigError naming the field. */
export function compileListenerFilterPredicate(value: unknown, path: string): ListenerFilterPredicate {
  const obj = asObject(value, path);
  const set = Object.keys(obj).filter((k) => RULES.includes(k));
  const unknown = Object.keys(obj).filter((k) => !RULES.includes(k));
  if (unknown.length > 0) throw new ConfigError(`${path}.${unknown[0]}`, `unknown field (expected one of ${RULES.join(', ')})`);
  if (set.length !== 1) throw new ConfigError(path, `exactly one of ${RULES.join(', ')} is required (found ${set.length})`);
  const rule = set[0];
  const rpath = `${path}.${rule}`;
  switch (rule) {
    case 'any_match':
      if (obj.any_match !== true) throw new ConfigError(rpath, 'must be true');
      return () => true;
    case 'not_match': {
      const inner = compileListenerFilterPredicate(obj.not_match, rpath);
      return (facts) => !inner(facts);
    }
    case 'or_match':
    case 'and_match': {
      const rules = matchSet(obj[rule], rpath);
      return rule === 'or_match' ? (facts) => rules.some((r) => r(facts)) : (facts) => rules.every((r) => r(facts));
    }
    default:
      return portRange(asObject(obj.destination_port_range, rpath), rpath);
  }
}

/** A MatchSet: `rules`, at least two, as Envoy requires. */
function matchSet(value: unknown, path: string): ListenerFilterPredicate[] {
  const obj = asObject(value, path);
  const rules = obj.rules;
  if (!Array.isArray(rules) || rules.length < 2) throw new ConfigError(`${path}.rules`, 'at least two rules are required');
  return rules.map((r, i) => compileListenerFilterPredicate(r, `${path}.rules[${i}]`));
}

/** An Int32Range: start inclusive, end exclusive. */
function portRange(range: JsonObject, path: string): ListenerFilterPredicate {
  const start = optionalInteger(range, 'start', path) ?? 0;
  const end = optionalInteger(range, 'end', path) ?? 0;
  if (end < start) throw new ConfigError(`${path}.end`, `must be at least start (${start})`);
  return ({ destinationPort }) => destinationPort >= start && destinationPort < end;
}

/** A listener filter's `filter_disabled`, or a predicate that never disables it. */
export function compileFilterDisabled(filter: JsonObject, path: string): ListenerFilterPredicate {
  const disabled = optionalObject(filter, 'filter_disabled', path);
  return disabled ? compileListenerFilterPredicate(disabled, `${path}.filter_disabled`) : () => false;
}
