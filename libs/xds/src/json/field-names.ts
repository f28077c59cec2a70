// Proto3 JSON accepts a field by its proto name (snake_case) or its lowerCamelCase JSON name.
import type protobuf from 'protobufjs';

const byType = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

export function lowerCamel(name: string): string {
  return name.replace(/_+(.)/g, (_match, next: string) => next.toUpperCase());
}

/** The field a JSON key names, or undefined when the message has no such field. */
export function fieldByJsonKey(type: protobuf.Type, key: string): protobuf.Field | undefined {
  let names = byType.get(type);
  if (!names) {
    names = new Map();
    for (const field of type.fieldsArray) {
      names.set(field.name, field);
      names.set(lowerCamel(field.name), field);
      const jsonName = (field.options as Record<string, unknown> | undefined)?.json_name;
      if (typeof jsonName === 'string') names.set(jsonName, field);
    }
    byType.set(type, names);
  }
  return names.get(key);
}
