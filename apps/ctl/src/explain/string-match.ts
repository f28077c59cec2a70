import { isObject } from '../proxy-config/json-reading.ts';

/** Envoy's StringMatcher (exact, prefix, suffix, contains, safe_regex; ignore_case). */
export function stringMatches(matcher: unknown, value: string): boolean {
  if (!isObject(matcher)) return false;
  const ignoreCase = matcher.ignore_case === true;
  const text = ignoreCase ? value.toLowerCase() : value;
  const expected = (field: unknown) => (ignoreCase ? String(field).toLowerCase() : String(field));
  if (matcher.exact !== undefined) return text === expected(matcher.exact);
  if (matcher.prefix !== undefined) return text.startsWith(expected(matcher.prefix));
  if (matcher.suffix !== undefined) return text.endsWith(expected(matcher.suffix));
  if (matcher.contains !== undefined) return text.includes(expected(matcher.contains));
  if (isObject(matcher.safe_regex)) return fullRegexMatch(String(matcher.safe_regex.regex ?? ''), value);
  return false;
}

/** RE2 as Envoy uses it: the whole value must match. Most RE2 is valid JavaScript. */
export function fullRegexMatch(regex: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${regex})$`).test(value);
  } catch {
    return false;
  }
}

/** A StringMatcher in words: `exact "jason"`, `prefix "/api"`. */
export function describeStringMatch(matcher: unknown): string {
  if (!isObject(matcher)) return '?';
  for (const kind of ['exact', 'prefix', 'suffix', 'contains']) if (matcher[kind] !== undefined) return `${kind} ${JSON.stringify(matcher[kind])}`;
  if (isObject(matcher.safe_regex)) return `regex ${JSON.stringify(matcher.safe_regex.regex)}`;
  return '?';
}
