/** A JSON object as read from a dump: fields are unknown until checked. */
export type JsonObject = { [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `value`, or absent; throws naming the path when it is something else. */
export function objectAt(value: unknown, path: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new Error(`${path}: expected an object`);
  return value;
}

/** The array at `value` (empty when absent); throws naming the path when it is something else. */
export function arrayAt(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${path}: expected a list`);
  return value;
}

/** A string or number field as text ('' when absent). */
export function textAt(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** Fields a path of keys away, or undefined when any step is missing. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Istio's `metadata.filter_metadata.istio.config` (".../namespaces/NS/KIND/NAME") as NAME.NS. */
export function istioConfigName(resource: unknown): string {
  const path = textAt(dig(resource, 'metadata', 'filter_metadata', 'istio', 'config'));
  const match = /\/namespaces\/([^/]+)\/[^/]+\/([^/]+)$/.exec(path);
  return match ? `${match[2]}.${match[1]}` : '';
}
