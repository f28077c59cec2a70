// The well-known types whose proto3 JSON form is not a plain object of their fields.
import protobuf from 'protobufjs';
import { fullNameOf } from '../proto/full-name.ts';
import { findMessage } from '../proto/proto-root.ts';
import { lowerCamel } from './field-names.ts';
import { fail, fieldPath, indexPath, isPlainObject, keyPath, show } from './json-path.ts';
import { messageFromJson, messageToJson, type RuntimeMessage } from './message-json.ts';
import { scalarFromJson, scalarToJson } from './scalar.ts';

interface SpecialJson {
  fromJson(type: protobuf.Type, json: unknown, path: string): RuntimeMessage;
  toJson(type: protobuf.Type, message: RuntimeMessage, path: string): unknown;
}

function fieldType(type: protobuf.Type, name: string): protobuf.Type {
  return type.fields[name]!.resolvedType as protobuf.Type;
}

// ---- Any: {"@type": URL, ...fields}, or {"@type": URL, "value": JSON} for the types below ----

const any: SpecialJson = {
  fromJson(_type, json, path) {
    if (!isPlainObject(json)) return fail(path, `expected an object with "@type" (Any), got ${show(json)}`);
    if (Object.keys(json).length === 0) return {};
    const { '@type': typeUrl, ...rest } = json;
    if (typeof typeUrl !== 'string' || typeUrl === '') return fail(fieldPath(path, '@type'), 'missing type URL (Any)');
    const inner = findMessage(typeUrl);
    if (!inner) return fail(path, `unknown type URL "${typeUrl}"`);
    let body: unknown = rest;
    if (isSpecial(inner)) {
      const extra = Object.keys(rest).filter((key) => key !== 'value');
      if (extra.length > 0) fail(fieldPath(path, extra[0]!), `unknown field in Any of ${inner.name} (expected "value")`);
      body = rest.value;
    }
    const runtime = messageFromJson(inner, body, isSpecial(inner) ? fieldPath(path, 'value') : path);
    return { type_url: typeUrl, value: inner.encode(runtime).finish() };
  },
  toJson(_type, message, path) {
    const typeUrl = message.type_url as string | undefined;
    const bytes = (message.value as Uint8Array | undefined) ?? new Uint8Array();
    if (!typeUrl) return {};
    const inner = findMessage(typeUrl);
    if (!inner) return fail(path, `unknown type URL "${typeUrl}"`);
    let decoded: RuntimeMessage;
    try {
      decoded = inner.decode(bytes) as unknown as RuntimeMessage;
    } catch (error) {
      return fail(path, `cannot decode ${inner.name}: ${(error as Error).message}`);
    }
    const json = messageToJson(inner, decoded, path);
    return isSpecial(inner) ? { '@type': typeUrl, value: json } : { '@type': typeUrl, ...(json as object) };
  },
};

// ---- Duration "1.5s" and Timestamp "2024-01-02T03:04:05.5Z" ----

const maxDurationSeconds = 315_576_000_000n;

function fractionToNanos(fraction: string | undefined): number {
  return fraction ? Number(fraction.padEnd(9, '0')) : 0;
}

/** Proto3 JSON prints 0, 3, 6 or 9 fractional digits. */
function nanosToFraction(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  if (nanos % 1_000_000 === 0) return `.${digits.slice(0, 3)}`;
  if (nanos % 1_000 === 0) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}

function secondsAndNanos(message: RuntimeMessage): { seconds: bigint; nanos: number } {
  return {
    seconds: BigInt(scalarToJson('int64', message.seconds ?? 0) as string),
    nanos: (message.nanos as number | undefined) ?? 0,
  };
}

function withoutZeros(seconds: bigint, nanos: number, path: string): RuntimeMessage {
  const out: RuntimeMessage = {};
  if (seconds !== 0n) out.seconds = scalarFromJson('int64', seconds.toString(), path);
  if (nanos !== 0) out.nanos = nanos;
  return out;
}

const duration: SpecialJson = {
  fromJson(_type, json, path) {
    const match = typeof json === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
    if (!match) return fail(path, `expected a duration like "1.5s", got ${show(json)}`);
    const sign = match[1] ? -1 : 1;
    const seconds = BigInt(match[2]!) * BigInt(sign);
    if (seconds > maxDurationSeconds || seconds < -maxDurationSeconds) fail(path, `duration ${show(json)} is out of range`);
    return withoutZeros(seconds, sign * fractionToNanos(match[3]), path);
  },
  toJson(_type, message) {
    const { seconds, nanos } = secondsAndNanos(message);
    const negative = seconds < 0n || nanos < 0;
    const abs = seconds < 0n ? -seconds : seconds;
    return `${negative ? '-' : ''}${abs}${nanosToFraction(Math.abs(nanos))}s`;
  },
};

const timestamp: SpecialJson = {
  fromJson(_type, json, path) {
    const match =
      typeof json === 'string'
        ? /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(json)
        : null;
    const millis = match ? Date.parse(`${match[1]}${match[3]!.toUpperCase()}`) : NaN;
    if (!match || Number.isNaN(millis)) return fail(path, `expected an RFC 3339 timestamp, got ${show(json)}`);
    return withoutZeros(BigInt(millis / 1000), fractionToNanos(match[2]), path);
  },
  toJson(_type, message, path) {
    const { seconds, nanos } = secondsAndNanos(message);
    const date = new Date(Number(seconds) * 1000);
    if (Number.isNaN(date.getTime())) return fail(path, `timestamp seconds ${seconds} is out of range`);
    return `${date.toISOString().slice(0, 19)}${nanosToFraction(nanos)}Z`;
  },
};

// ---- Struct, Value and ListValue: plain JSON ----

const struct: SpecialJson = {
  fromJson(type, json, path) {
    if (!isPlainObject(json)) return fail(path, `expected an object (Struct), got ${show(json)}`);
    const valueType = fieldType(type, 'fields');
    // fromEntries defines own properties, so even a "__proto__" key stays an ordinary key.
    const fields = Object.fromEntries(
      Object.entries(json).map(([key, item]) => [key, messageFromJson(valueType, item, keyPath(path, key))]),
    );
    return { fields };
  },
  toJson(type, message, path) {
    const valueType = fieldType(type, 'fields');
    const fields = (message.fields as Record<string, RuntimeMessage> | undefined) ?? {};
    return Object.fromEntries(
      Object.entries(fields).map(([key, item]) => [key, messageToJson(valueType, item, keyPath(path, key))]),
    );
  },
};

// protobufjs bundles google.protobuf.Value with lowerCamelCase field names; accept either spelling.
function kindField(type: protobuf.Type, protoName: string): protobuf.Field {
  return (type.fields[protoName] ?? type.fields[lowerCamel(protoName)])!;
}

function kindOf(type: protobuf.Type, json: unknown, path: string): { field: protobuf.Field; runtime: unknown } {
  if (json === null) return { field: kindField(type, 'null_value'), runtime: 0 };
  if (typeof json === 'number') {
    if (!Number.isFinite(json)) fail(path, 'a Value number must be finite');
    return { field: kindField(type, 'number_value'), runtime: json };
  }
  if (typeof json === 'string') return { field: kindField(type, 'string_value'), runtime: json };
  if (typeof json === 'boolean') return { field: kindField(type, 'bool_value'), runtime: json };
  const kind = Array.isArray(json) ? 'list_value' : isPlainObject(json) ? 'struct_value' : undefined;
  if (!kind) return fail(path, `expected a JSON value, got ${show(json)}`);
  const field = kindField(type, kind);
  return { field, runtime: messageFromJson(field.resolvedType as protobuf.Type, json, path) };
}

const value: SpecialJson = {
  fromJson(type, json, path) {
    const { field, runtime } = kindOf(type, json, path);
    return { [field.name]: runtime };
  },
  toJson(type, message, path) {
    for (const kind of ['number_value', 'string_value', 'bool_value', 'struct_value', 'list_value']) {
      const field = kindField(type, kind);
      if (!Object.hasOwn(message, field.name) || message[field.name] == null) continue;
      const inner = message[field.name];
      return field.resolvedType instanceof protobuf.Type
        ? messageToJson(field.resolvedType, inner as RuntimeMessage, path)
        : inner;
    }
    return null;
  },
};

const listValue: SpecialJson = {
  fromJson(type, json, path) {
    if (!Array.isArray(json)) return fail(path, `expected an array (ListValue), got ${show(json)}`);
    const valueType = fieldType(type, 'values');
    return { values: json.map((item, i) => messageFromJson(valueType, item, indexPath(path, i))) };
  },
  toJson(type, message, path) {
    const valueType = fieldType(type, 'values');
    const values = (message.values as RuntimeMessage[] | undefined) ?? [];
    return values.map((item, i) => messageToJson(valueType, item, indexPath(path, i)));
  },
};

// ---- Wrappers (UInt32Value, BoolValue, ...): the bare value ----

const wrapper: SpecialJson = {
  fromJson(type, json, path) {
    if (json === null) return {};
    return { value: scalarFromJson(type.fields.value!.type, json, path) };
  },
  toJson(type, message) {
    const field = type.fields.value!;
    return scalarToJson(field.type, message.value ?? field.typeDefault);
  },
};

// ---- FieldMask: "fooBar,baz.qux" ----

const fieldMask: SpecialJson = {
  fromJson(_type, json, path) {
    if (typeof json !== 'string') return fail(path, `expected a comma-separated field mask, got ${show(json)}`);
    const paths = json === '' ? [] : json.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    return { paths };
  },
  toJson(_type, message) {
    const paths = (message.paths as string[] | undefined) ?? [];
    return paths.map((p) => p.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())).join(',');
  },
};

const wrapperNames = ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'];

export const wellKnownTypes: ReadonlyMap<string, SpecialJson> = new Map<string, SpecialJson>([
  ['google.protobuf.Any', any],
  ['google.protobuf.Duration', duration],
  ['google.protobuf.Timestamp', timestamp],
  ['google.protobuf.Struct', struct],
  ['google.protobuf.Value', value],
  ['google.protobuf.ListValue', listValue],
  ['google.protobuf.FieldMask', fieldMask],
  ...wrapperNames.map((name): [string, SpecialJson] => [`google.protobuf.${name}Value`, wrapper]),
]);

function isSpecial(type: protobuf.Type): boolean {
  return wellKnownTypes.has(fullNameOf(type));
}
