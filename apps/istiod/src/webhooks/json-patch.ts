/** One RFC 6902 operation; the API server applies these to the object under admission. */
export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/**
 * The operations that turn `from` into `to`: objects are compared member by member, anything
 * else (arrays included) is replaced whole when it differs, which keeps the patch short and
 * independent of how the lists were reordered.
 */
export function jsonPatch(from: unknown, to: unknown): PatchOperation[] {
  return diff(plain(from), plain(to), '');
}

function diff(from: unknown, to: unknown, path: string): PatchOperation[] {
  if (isObject(from) && isObject(to)) {
    const operations: PatchOperation[] = [];
    for (const key of Object.keys(from)) {
      if (!(key in to)) operations.push({ op: 'remove', path: `${path}/${escape(key)}` });
    }
    for (const [key, value] of Object.entries(to)) {
      const at = `${path}/${escape(key)}`;
      if (key in from) operations.push(...diff(from[key], value, at));
      else operations.push({ op: 'add', path: at, value });
    }
    return operations;
  }
  return JSON.stringify(from) === JSON.stringify(to) ? [] : [{ op: 'replace', path, value: to }];
}

/** RFC 6901: "~" and "/" inside a member name. */
function escape(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Only what JSON carries (no undefined members), as the API server sees the object. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
