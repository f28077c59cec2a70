// Checks of one value against one kind of rule (string, number, duration, ...). Each returns
// the reasons the value breaks the rules, in words, or an empty list.
import { isRules, type Rules } from './field-rules.ts';

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

// Header names and values as Envoy checks them: strict is RFC 7230, lax only refuses NUL, CR, LF.
const headerRegexes: Record<string, { strict: RegExp; lax: RegExp }> = {
  HTTP_HEADER_NAME: { strict: /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/, lax: /^[^\0\n\r]*$/ },
  HTTP_HEADER_VALUE: { strict: /^[^\0-\x08\x0a-\x1f\x7f]*$/, lax: /^[^\0\n\r]*$/ },
};

export function checkString(value: string, rules: Rules): string[] {
  const problems: string[] = [];
  const chars = [...value].length;
  const bytes = Buffer.byteLength(value);
  const num = (key: string) => (typeof rules[key] === 'number' || typeof rules[key] === 'string' ? Number(rules[key]) : undefined);
  const minLen = num('min_len');
  const maxLen = num('max_len');
  const len = num('len');
  const minBytes = num('min_bytes');
  const maxBytes = num('max_bytes');
  if (minLen !== undefined && chars < minLen) problems.push(`must be at least ${minLen} characters long`);
  if (maxLen !== undefined && chars > maxLen) problems.push(`must be at most ${maxLen} characters long`);
  if (len !== undefined && chars !== len) problems.push(`must be exactly ${len} characters long`);
  if (minBytes !== undefined && bytes < minBytes) problems.push(`must be at least ${minBytes} bytes long`);
  if (maxBytes !== undefined && bytes > maxBytes) problems.push(`must be at most ${maxBytes} bytes long`);
  if (typeof rules.prefix === 'string' && !value.startsWith(rules.prefix)) problems.push(`must start with ${JSON.stringify(rules.prefix)}`);
  if (typeof rules.suffix === 'string' && !value.endsWith(rules.suffix)) problems.push(`must end with ${JSON.stringify(rules.suffix)}`);
  if (typeof rules.contains === 'string' && !value.includes(rules.contains)) problems.push(`must contain ${JSON.stringify(rules.contains)}`);
  if (typeof rules.pattern === 'string') {
    const pattern = safeRegExp(rules.pattern);
    if (pattern && !pattern.test(value)) problems.push(`must match ${rules.pattern}`);
  }
  if (rules.in !== undefined && !list(rules.in).includes(value)) problems.push(`must be one of ${list(rules.in).join(', ')}`);
  if (list(rules.not_in).includes(value)) problems.push(`must not be ${JSON.stringify(value)}`);
  const header = typeof rules.well_known_regex === 'string' ? headerRegexes[rules.well_known_regex] : undefined;
  if (header && !(rules.strict === false ? header.lax : header.strict).test(value)) {
    problems.push(`is not a valid ${rules.well_known_regex === 'HTTP_HEADER_NAME' ? 'header name' : 'header value'}`);
  }
  return problems;
}

/** PGV patterns are RE2; the ones Envoy uses read the same in JavaScript. Others are skipped. */
function safeRegExp(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return null;
  }
}

export function checkNumber(value: number, rules: Rules): string[] {
  const problems: string[] = [];
  const bound = (key: string) => (rules[key] === undefined ? undefined : Number(rules[key]));
  const [gt, gte, lt, lte, exact] = [bound('gt'), bound('gte'), bound('lt'), bound('lte'), bound('const')];
  if (gt !== undefined && !(value > gt)) problems.push(`must be greater than ${gt}`);
  if (gte !== undefined && !(value >= gte)) problems.push(`must be at least ${gte}`);
  if (lt !== undefined && !(value < lt)) problems.push(`must be less than ${lt}`);
  if (lte !== undefined && !(value <= lte)) problems.push(`must be at most ${lte}`);
  if (exact !== undefined && value !== exact) problems.push(`must be ${exact}`);
  if (rules.in !== undefined && !list(rules.in).map(Number).includes(value)) problems.push(`must be one of ${list(rules.in).join(', ')}`);
  if (list(rules.not_in).map(Number).includes(value)) problems.push(`must not be ${value}`);
  return problems;
}

/** Seconds, as a number, of a canonical JSON duration ("1.5s") or a rule ({ seconds, nanos }). */
export function durationSeconds(value: unknown): number {
  if (typeof value === 'string') return Number(value.slice(0, -1));
  if (isRules(value)) return Number(value.seconds ?? 0) + Number(value.nanos ?? 0) / 1e9;
  return 0;
}

export function checkDuration(value: string, rules: Rules): string[] {
  const bounds: Rules = {};
  for (const key of ['gt', 'gte', 'lt', 'lte', 'const']) {
    if (rules[key] !== undefined) bounds[key] = durationSeconds(rules[key]);
  }
  return checkNumber(durationSeconds(value), bounds).map((problem) => `${problem}s`);
}
