// The protoc-gen-validate rules Envoy's protos carry as options ("(validate.rules)" on a field,
// "(validate.required)" on a oneof), read once per field from what protobufjs parsed.
import type protobuf from 'protobufjs';

export type Rules = { [key: string]: unknown };

const cache = new WeakMap<protobuf.Field, Rules | null>();

function merge(into: Rules, from: Rules): Rules {
  for (const [key, value] of Object.entries(from)) {
    const existing = into[key];
    into[key] = isRules(existing) && isRules(value) ? merge({ ...existing }, value) : value;
  }
  return into;
}

export function isRules(value: unknown): value is Rules {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field's rules, e.g. { string: { min_len: 1 } }, or null when it has none. */
export function fieldRules(field: protobuf.Field): Rules | null {
  let rules = cache.get(field);
  if (rules === undefined) {
    const parsed = (field as unknown as { parsedOptions?: Rules[] | null }).parsedOptions ?? [];
    const found = parsed.map((option) => option['(validate.rules)']).filter(isRules);
    rules = found.length > 0 ? found.reduce<Rules>((all, one) => merge(all, one), {}) : null;
    cache.set(field, rules);
  }
  return rules;
}

/** Whether a oneof must have one member set. */
export function oneofRequired(oneof: protobuf.OneOf): boolean {
  return (oneof.options as Rules | undefined)?.['(validate.required)'] === true;
}
