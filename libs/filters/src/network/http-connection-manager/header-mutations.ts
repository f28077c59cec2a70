import { ConfigError } from '../../config-error.ts';
import { asObject, onlyFields, optionalArray, optionalBoolean, optionalObject, oneOf, requiredString, type JsonObject } from '../../config-reader.ts';
import { getHeader, removeHeader, setHeader, type HeaderList } from '../../http1/headers.ts';

export type AppendAction = 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';

/** request_headers_to_add / _to_remove (or the response ones) of one config level. */
export interface HeaderMutations {
  readonly add: { name: string; value: string; action: AppendAction; keepEmpty: boolean }[];
  readonly remove: string[];
}

export const NO_MUTATIONS: HeaderMutations = { add: [], remove: [] };

function compileOption(value: unknown, path: string): HeaderMutations['add'][number] {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['header', 'append', 'append_action', 'keep_empty_value']);
  const header = optionalObject(obj, 'header', path);
  if (!header) throw new ConfigError(`${path}.header`, 'required');
  onlyFields(header, `${path}.header`, ['key', 'value']);
  const name = requiredString(header, 'key', `${path}.header`).toLowerCase();
  const raw = header.value;
  const text = typeof raw === 'string' ? raw : '';
  // Envoy expands %COMMAND% substitutions in these values; none are implemented here.
  if (text.replaceAll('%%', '').includes('%')) throw new ConfigError(`${path}.header.value`, `substitution commands are not supported: "${text}"`);
  const append = optionalBoolean(obj, 'append', path);
  let action = oneOf(obj, 'append_action', path, ['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'], 'APPEND_IF_EXISTS_OR_ADD');
  if (append === false) action = 'OVERWRITE_IF_EXISTS_OR_ADD';
  return { name, value: text.replaceAll('%%', '%'), action, keepEmpty: optionalBoolean(obj, 'keep_empty_value', path) ?? false };
}

/** Reads `PREFIX_headers_to_add` and `PREFIX_headers_to_remove` of a route, virtual host or
 *  route configuration (`prefix` is "request" or "response"). */
export function compileHeaderMutations(obj: JsonObject, prefix: 'request' | 'response', path: string): HeaderMutations {
  const add = optionalArray(obj, `${prefix}_headers_to_add`, path).map((h, i) => compileOption(h, `${path}.${prefix}_headers_to_add[${i}]`));
  const remove = optionalArray(obj, `${prefix}_headers_to_remove`, path).map((h, i) => {
    if (typeof h !== 'string' || h === '') throw new ConfigError(`${path}.${prefix}_headers_to_remove[${i}]`, 'must be a header name');
    return h.toLowerCase();
  });
  return add.length === 0 && remove.length === 0 ? NO_MUTATIONS : { add, remove };
}

/** Applies the levels in order (route, virtual host, route configuration), as Envoy does. */
export function applyHeaderMutations(headers: HeaderList, levels: HeaderMutations[]): void {
  for (const level of levels) {
    for (const name of level.remove) removeHeader(headers, name);
    for (const { name, value, action, keepEmpty } of level.add) {
      if (value === '' && !keepEmpty) continue;
      const present = getHeader(headers, name) !== undefined;
      if (action === 'APPEND_IF_EXISTS_OR_ADD') headers.push(name, value);
      else if (action === 'ADD_IF_ABSENT') {
        if (!present) headers.push(name, value);
      } else if (action === 'OVERWRITE_IF_EXISTS_OR_ADD' || present) setHeader(headers, name, value);
    }
  }
}
