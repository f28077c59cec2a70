import { optionalBoolean, oneOf, type JsonObject } from './config-reader.ts';

/** The HTTP connection manager's path handling: normalize_path, merge_slashes and
 *  path_with_escaped_slashes_action. */
export interface PathNormalization {
  readonly normalize: boolean;
  readonly mergeSlashes: boolean;
  readonly escapedSlashes: 'KEEP_UNCHANGED' | 'REJECT_REQUEST' | 'UNESCAPE_AND_REDIRECT' | 'UNESCAPE_AND_FORWARD';
}

/** What to do with a request after normalizing its path. */
export type PathVerdict =
  | { readonly kind: 'forward'; readonly path: string }
  | { readonly kind: 'redirect'; readonly path: string }
  | { readonly kind: 'reject' };

const ESCAPED_SLASH = /%(2f|5c)/i;
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Reads the connection manager's path options; undefined when none is on (the common case
 *  costs the request nothing). */
export function compilePathNormalization(obj: JsonObject, path: string): PathNormalization | undefined {
  const normalize = optionalBoolean(obj, 'normalize_path', path) ?? false;
  const mergeSlashes = optionalBoolean(obj, 'merge_slashes', path) ?? false;
  const action = oneOf(obj, 'path_with_escaped_slashes_action', path,
    ['IMPLEMENTATION_SPECIFIC_DEFAULT', 'KEEP_UNCHANGED', 'REJECT_REQUEST', 'UNESCAPE_AND_REDIRECT', 'UNESCAPE_AND_FORWARD'], 'IMPLEMENTATION_SPECIFIC_DEFAULT');
  const escapedSlashes = action === 'IMPLEMENTATION_SPECIFIC_DEFAULT' ? 'KEEP_UNCHANGED' : action;
  if (!normalize && !mergeSlashes && escapedSlashes === 'KEEP_UNCHANGED') return undefined;
  return { normalize, mergeSlashes, escapedSlashes };
}

/** Percent-encoded unreserved characters are decoded, other escapes get uppercase hex (RFC 3986
 *  6.2.2.1-2); a malformed escape makes the path invalid. */
function normalizeEscapes(path: string): string | undefined {
  if (!path.includes('%')) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
    const decoded = String.fromCharCode(parseInt(hex, 16));
    out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/** RFC 3986 5.2.4: "." and ".." segments resolved; ".." never climbs above the root. */
function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i];
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else out.push(s);
  }
  return `/${out.join('/')}`;
}

/**
 * Normalizes the path part of a request target as Envoy does before routing: escaped slashes
 * per the configured action, then RFC 3986 normalization (backslashes as slashes, escapes,
 * dot segments), then merged slashes. The query is left alone. A path that cannot be
 * normalized (not origin form, a broken escape) is rejected.
 */
export function normalizeRequestPath(target: string, options: PathNormalization): PathVerdict {
  const q = target.indexOf('?');
  let path = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (path.charCodeAt(0) !== 0x2f) return path === '*' ? { kind: 'forward', path: target } : { kind: 'reject' };
  let redirect = false;
  if (options.escapedSlashes !== 'KEEP_UNCHANGED' && ESCAPED_SLASH.test(path)) {
    if (options.escapedSlashes === 'REJECT_REQUEST') return { kind: 'reject' };
    path = path.replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
    redirect = options.escapedSlashes === 'UNESCAPE_AND_REDIRECT';
  }
  if (options.normalize) {
    const escaped = normalizeEscapes(path.replaceAll('\\', '/'));
    if (escaped === undefined) return { kind: 'reject' };
    path = removeDotSegments(escaped);
  }
  if (options.mergeSlashes) path = path.replace(/\/{2,}/g, '/');
  return { kind: redirect ? 'redirect' : 'forward', path: path + query };
}
