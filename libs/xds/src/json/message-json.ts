// Proto3 JSON <-> protobufjs runtime objects, driven by reflection over the loaded types.
// The runtime form is what protobufjs encodes and decodes: field names as in the .proto,
// enums as numbers, 64-bit integers as { low, high }, bytes as Uint8Array, Any as bytes.
import protobuf from 'protobufjs';
import { fullNameOf } from '../proto/full-name.ts';
import { fieldByJsonKey } from './field-names.ts';
import { fail, fieldPath, indexPath, isPlainObject, keyPath, show } from './json-path.ts';
import { isDefaultScalar, scalarFromJson, scalarToJson } from './scalar.ts';
import { wellKnownTypes } from './well-known-types.ts';

export type RuntimeMessage = Record<string, unknown>;

// ---- JSON -> runtime ----

/** Checks a JSON object against a message type and converts it to the runtime form. */
export function messageFromJson(type: protobuf.Type, json: unknown, path: string): RuntimeMessage {
  const special = wellKnownTypes.get(fullNameOf(type));
  if (special) return special.fromJson(type, json, path);
  if (!isPlainObject(json)) return fail(path, `expected an object (${type.name}), got ${show(json)}`);
  const out: RuntimeMessage = {};
  const oneofSeen = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const field = fieldByJsonKey(type, key);
    if (!field) fail(fieldPath(path, key), `unknown field in ${type.name}`);
    const here = fieldPath(path, field.name);
    if (Object.hasOwn(out, field.name)) fail(here, 'set twice (by its proto name and its JSON name)');
    if (value === null && !isNullValueField(field)) continue;
    const oneof = field.partOf;
    if (oneof) {
      const other = oneofSeen.get(oneof.name);
      if (other) fail(here, `only one of oneof "${oneof.name}" may be set, "${other}" is set too`);
      oneofSeen.set(oneof.name, field.name);
    }
    const converted = fieldFromJson(field, value, here);
    if (converted !== undefined) out[field.name] = converted;
  }
  return out;
}

function isNullValueField(field: protobuf.Field): boolean {
  return field.resolvedType instanceof protobuf.Enum && fullNameOf(field.resolvedType) === 'google.protobuf.NullValue'
    || field.resolvedType instanceof protobuf.Type && fullNameOf(field.resolvedType) === 'google.protobuf.Value';
}

function fieldFromJson(field: protobuf.Field, value: unknown, path: string): unknown {
  if (field.map) {
    if (!isPlainObject(value)) return fail(path, `expected an object (map), got ${show(value)}`);
    const keyType = (field as unknown as protobuf.MapField).keyType;
    const entries = Object.entries(value).map(([key, item]) => {
      const here = keyPath(path, key);
      checkMapKey(keyType, key, here);
      return [key, singleFromJson(field, item, here)];
    });
    // fromEntries defines own properties, so even a "__proto__" key stays an ordinary key.
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return fail(path, `expected an array, got ${show(value)}`);
    return value.length > 0 ? value.map((item, i) => singleFromJson(field, item, indexPath(path, i))) : undefined;
  }
  const single = singleFromJson(field, value, path);
  // Without explicit presence a default value is the same as no value: leave it out.
  if (!field.partOf && !(field.resolvedType instanceof protobuf.Type) && isDefaultValue(field, single)) return undefined;
  return single;
}

function checkMapKey(keyType: string, key: string, path: string): void {
  if (keyType === 'string') return;
  if (keyType === 'bool') {
    if (key !== 'true' && key !== 'false') fail(path, 'map key must be "true" or "false"');
    return;
  }
  scalarFromJson(keyType, key, path);
}

function singleFromJson(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageFromJson(resolved, value, path);
  if (resolved instanceof protobuf.Enum) return enumFromJson(resolved, value, path);
  if (value === null) return fail(path, 'null is not allowed here');
  return scalarFromJson(field.type, value, path);
}

function enumFromJson(enumType: protobuf.Enum, value: unknown, path: string): number {
  if (fullNameOf(enumType) === 'google.protobuf.NullValue') {
    if (value === null || value === 'NULL_VALUE' || value === 0) return 0;
    return fail(path, `expected null, got ${show(value)}`);
  }
  if (typeof value === 'string') {
    const number = Object.hasOwn(enumType.values, value) ? enumType.values[value] : undefined;
    if (number === undefined) {
      return fail(path, `unknown ${enumType.name} value ${show(value)} (expected one of ${Object.keys(enumType.values).join(', ')})`);
    }
    return number;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return value;
  return fail(path, `expected a ${enumType.name} name, got ${show(value)}`);
}

function isDefaultValue(field: protobuf.Field, value: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum) return value === 0;
  return isDefaultScalar(field.type, value);
}

// ---- runtime -> JSON ----

/** A runtime message (decoded, or made by messageFromJson) -> canonical Envoy JSON. */
export function messageToJson(type: protobuf.Type, message: RuntimeMessage, path: string): unknown {
  const special = wellKnownTypes.get(fullNameOf(type));
  if (special) return special.toJson(type, message, path);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!Object.hasOwn(message, field.name)) continue;
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    const here = fieldPath(path, field.name);
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[field.name] = Object.fromEntries(entries.map(([key, item]) => [key, singleToJson(field, item, keyPath(here, key))]));
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      out[field.name] = items.map((item, i) => singleToJson(field, item, indexPath(here, i)));
    } else {
      const isMessage = field.resolvedType instanceof protobuf.Type;
      if (!field.partOf && !isMessage && isDefaultValue(field, value)) continue;
      out[field.name] = singleToJson(field, value, here);
    }
  }
  return out;
}

function singleToJson(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageToJson(resolved, value as RuntimeMessage, path);
  if (resolved instanceof protobuf.Enum) {
    if (fullNameOf(resolved) === 'google.protobuf.NullValue') return null;
    return resolved.valuesById[value as number] ?? value;
  }
  return scalarToJson(field.type, value);
}
