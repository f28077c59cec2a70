// A small vocabulary for checking Istio's resources, whose specs are protobuf messages written
// as YAML: each message lists its fields, so an unknown or misspelt field is an error naming
// its path, as Istio's own validation reports it.

export type Fail = (field: string, reason: string) => never;

/** Checks one value found at `at` (a field path such as "spec.http[0].route"). */
export type Check = (value: unknown, at: string, fail: Fail) => void;

/** A message: only the listed fields (lowerCamelCase, as Istio's CRDs spell them), each checked
 *  when present; `rules` then checks the message as a whole (required fields, one-ofs). */
export function message(fields: Record<string, Check>, rules?: (value: Record<string, unknown>, at: string, fail: Fail) => void): Check {
  return (value: unknown, at: string, fail: Fail) => {
    if (!isRecord(value)) fail(at, `must be a mapping, got ${typeName(value)}`);
    for (const [key, fieldValue] of Object.entries(value)) {
      const check = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (!check) fail(join(at, key), `unknown field (known: ${Object.keys(fields).join(', ')})`);
      if (fieldValue !== undefined && fieldValue !== null) check(fieldValue, join(at, key), fail);
    }
    rules?.(value, at, fail);
  };
}

export function list(item: Check): Check {
  return (value: unknown, at: string, fail: Fail) => {
    if (!Array.isArray(value)) fail(at, `must be a list, got ${typeName(value)}`);
    value.forEach((v, i) => item(v, `${at}[${i}]`, fail));
  };
}

/** A map with string keys; each key is checked by `key` and each value by `item`. */
export function map(item: Check, key?: (key: string, at: string, fail: Fail) => void): Check {
  return (value: unknown, at: string, fail: Fail) => {
    if (!isRecord(value)) fail(at, `must be a mapping, got ${typeName(value)}`);
    for (const [k, v] of Object.entries(value)) {
      key?.(k, at, fail);
      item(v, join(at, k), fail);
    }
  };
}

export const string: Check = (value: unknown, at: string, fail: Fail) => {
  if (typeof value !== 'string') fail(at, `must be a string, got ${typeName(value)}`);
};

export const bool: Check = (value: unknown, at: string, fail: Fail) => {
  if (typeof value !== 'boolean') fail(at, `must be true or false, got ${typeName(value)}`);
};

export function integer(min: number, max: number): Check {
  return (value: unknown, at: string, fail: Fail) => {
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) fail(at, `must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`);
  };
}

export const uint32 = integer(0, 4294967295);
export const int32 = integer(-2147483648, 2147483647);
export const portNumber = integer(1, 65535);

export function number(min: number, max: number): Check {
  return (value: unknown, at: string, fail: Fail) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) fail(at, `must be a number between ${min} and ${max}, got ${JSON.stringify(value)}`);
  };
}

export function oneOfValues(values: readonly string[]): Check {
  return (value: unknown, at: string, fail: Fail) => {
    if (typeof value !== 'string' || !values.includes(value)) fail(at, `must be one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
  };
}

/** Istio's Percent message: `{ value: 0..100 }`. */
export const percent: Check = message({ value: number(0, 100) });

/** A map of string to string, such as labels or header values. */
export const stringMap: Check = map(string);

const durationPart = /(\d+(?:\.\d+)?|\.\d+)(h|ms|us|µs|ns|m|s)/gy;
const unitSeconds: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };

/** Seconds in a duration as Istio's YAML writes it: "7s", "0.5s", "100ms", "1m30s", "1h". */
export function parseDuration(text: string): number | undefined {
  if (text === '' || text === '0') return text === '0' ? 0 : undefined;
  durationPart.lastIndex = 0;
  let seconds = 0;
  while (durationPart.lastIndex < text.length) {
    const start = durationPart.lastIndex;
    const m = durationPart.exec(text);
    if (!m || m.index !== start) return undefined;
    seconds += Number(m[1]) * unitSeconds[m[2]];
  }
  return seconds;
}

/** A duration of at least `minSeconds`. */
export function duration(minSeconds = 0): Check {
  return (value: unknown, at: string, fail: Fail) => {
    const seconds = typeof value === 'string' ? parseDuration(value) : undefined;
    if (seconds === undefined) fail(at, `must be a duration such as "1.5s", "100ms" or "1m", got ${JSON.stringify(value)}`);
    if (seconds < minSeconds) fail(at, `must be at least ${minSeconds >= 1 ? `${minSeconds}s` : `${minSeconds * 1000}ms`}, got ${JSON.stringify(value)}`);
  };
}

// RE2, which Envoy uses, has no lookaround and no backreferences; everything else that
// JavaScript accepts is close enough to catch the mistakes people make.
const notRe2 = /\(\?<?[=!]|\\[1-9]/;

/** A regular expression Envoy's RE2 engine would accept. */
export const regex: Check = (value: unknown, at: string, fail: Fail) => {
  if (typeof value !== 'string') fail(at, `must be a string, got ${typeName(value)}`);
  if (notRe2.test(value)) fail(at, `not a valid RE2 regular expression (no lookaround or backreferences): ${JSON.stringify(value)}`);
  try {
    new RegExp(value, 'u');
  } catch (error) {
    fail(at, `not a valid regular expression: ${(error as Error).message}`);
  }
};

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const hostLabel = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

export const dnsLabelName: Check = (value: unknown, at: string, fail: Fail) => {
  if (typeof value !== 'string' || value.length > 63 || !dnsLabel.test(value)) fail(at, `must be a DNS label (lowercase letters, digits and '-'), got ${JSON.stringify(value)}`);
};

/** A host as Istio's resources name one: "reviews", "reviews.default.svc.cluster.local",
 *  "*.example.com" or "*". */
export const host: Check = (value: unknown, at: string, fail: Fail) => {
  if (typeof value !== 'string' || value === '') fail(at, `must be a host name, got ${JSON.stringify(value)}`);
  if (value === '*') return;
  const labels = (value.startsWith('*.') ? value.slice(2) : value).split('.');
  if (value.length > 255 || labels.some((label) => label.length > 63 || !hostLabel.test(label))) {
    fail(at, `must be a host name such as "reviews", "reviews.default.svc.cluster.local" or "*.example.com", got ${JSON.stringify(value)}`);
  }
};

/** `exportTo`: "." (this namespace), "*" (every namespace) or namespace names, "*" alone. */
export const exportTo: Check = (value: unknown, at: string, fail: Fail) => {
  list((item, itemAt) => {
    if (item !== '.' && item !== '*') dnsLabelName(item, itemAt, fail);
  })(value, at, fail);
  if ((value as string[]).includes('*') && (value as string[]).length > 1) fail(at, '"*" must be the only entry');
};

/** The fields of a one-of that are set. */
export function setFields(value: Record<string, unknown>, names: readonly string[]): string[] {
  return names.filter((name) => value[name] !== undefined && value[name] !== null);
}

/** Fails unless at most one (or, when `required`, exactly one) of the fields is set. */
export function oneOf(value: Record<string, unknown>, names: readonly string[], at: string, fail: Fail, required = false): void {
  const set = setFields(value, names);
  if (set.length > 1) fail(at, `only one of ${names.join(', ')} may be set, got ${set.join(' and ')}`);
  if (required && set.length === 0) fail(at, `one of ${names.join(', ')} is required`);
}

export function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}
