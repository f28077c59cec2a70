import { ConfigError } from './config-error.ts';

/** Envoy JSON as it arrives (proto3 JSON with the proto field names). */
export type JsonObject = { [key: string]: unknown };

/**
 * Small readers over Envoy JSON that fail with the field path. Every translator uses
 * `onlyFields` first, so a field this proxy does not implement is rejected by name rather
 * than silently ignored.
 */
export function asObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(path, 'must be an object');
  return value as JsonObject;
}

export function onlyFields(obj: JsonObject, path: string, supported: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!supported.includes(key)) throw new ConfigError(`${path}.${key}`, 'not supported by this proxy');
  }
}

export function optionalString(obj: JsonObject, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${path}.${key}`, 'must be a string');
  return value;
}

export function requiredString(obj: JsonObject, key: string, path: string): string {
  const value = optionalString(obj, key, path);
  if (value === undefined || value === '') throw new ConfigError(`${path}.${key}`, 'required');
  return value;
}

export function optionalBoolean(obj: JsonObject, key: string, path: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ConfigError(`${path}.${key}`, 'must be a boolean');
  return value;
}

/** Integers arrive as numbers, or as strings for 64-bit fields. */
export function optionalInteger(obj: JsonObject, key: string, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ConfigError(`${path}.${key}`, 'must be an integer');
  if (n < min || n > max) throw new ConfigError(`${path}.${key}`, `must be between ${min} and ${max}`);
  return n;
}

export function optionalArray(obj: JsonObject, key: string, path: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError(`${path}.${key}`, 'must be a list');
  return value;
}

export function optionalObject(obj: JsonObject, key: string, path: string): JsonObject | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  return asObject(value, `${path}.${key}`);
}

export function requiredObject(obj: JsonObject, key: string, path: string): JsonObject {
  const value = optionalObject(obj, key, path);
  if (value === undefined) throw new ConfigError(`${path}.${key}`, 'required');
  return value;
}

const DURATION = /^(-?\d+)(?:\.(\d{1,9}))?s$/;

/** A protobuf Duration ("1.5s", or {seconds, nanos}) in milliseconds. */
export function optionalDurationMs(obj: JsonObject, key: string, path: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const m = DURATION.exec(value);
    if (!m) throw new ConfigError(`${path}.${key}`, `invalid duration "${value}" (expected e.g. "1.5s")`);
    const ms = Number(m[1]) * 1000 + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
    if (ms < 0) throw new ConfigError(`${path}.${key}`, 'must not be negative');
    return ms;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const d = value as { seconds?: unknown; nanos?: unknown };
    const ms = Number(d.seconds ?? 0) * 1000 + Number(d.nanos ?? 0) / 1e6;
    if (!Number.isFinite(ms) || ms < 0) throw new ConfigError(`${path}.${key}`, 'invalid duration');
    return ms;
  }
  throw new ConfigError(`${path}.${key}`, 'must be a duration string such as "1.5s"');
}

/** The "@type" of an Any, and its fields. */
export function typedConfig(obj: JsonObject, key: string, path: string): { typeUrl: string; config: JsonObject } {
  const config = requiredObject(obj, key, path);
  const typeUrl = config['@type'];
  if (typeof typeUrl !== 'string' || typeUrl === '') throw new ConfigError(`${path}.${key}`, 'missing "@type"');
  return { typeUrl, config };
}

export function oneOf<T extends string>(obj: JsonObject, key: string, path: string, allowed: readonly T[], fallback: T): T {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${path}.${key}`, `"${String(value)}" is not supported (supported: ${allowed.join(', ')})`);
  }
  return value as T;
}
