// Envoy refuses configuration that breaks the protoc-gen-validate rules in its protos (a
// cluster without a name, a weight of 0, a route without a cluster); these checks find the
// same problems before a proxy sees them, so istiod can test its output and the proxy can
// NACK like Envoy does.
import protobuf from 'protobufjs';
import { normalize, type JsonObject } from '../json/codec.ts';
import { fieldPath, indexPath, isPlainObject, keyPath } from '../json/json-path.ts';
import { wellKnownTypes } from '../json/well-known-types.ts';
import { fullNameOf } from '../proto/full-name.ts';
import { findMessage, lookupMessage } from '../proto/proto-root.ts';
import { XdsError } from '../xds-error.ts';
import { fieldRules, isRules, oneofRequired, type Rules } from './field-rules.ts';
import { checkDuration, checkNumber, checkString } from './value-rules.ts';

type Problems = string[];

const wrapperKinds: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

function sub(rules: Rules | null | undefined, key: string): Rules | undefined {
  const value = rules?.[key];
  return isRules(value) ? value : undefined;
}

function report(out: Problems, path: string, problems: string[]): void {
  for (const problem of problems) out.push(`${path}: ${problem}`);
}

/** "must be at least 1 characters long" reads better as "must not be empty". */
function wording(problems: string[]): string[] {
  return problems.map((p) => (/^must be at least 1 (characters|bytes) long$/.test(p) ? 'must not be empty' : p));
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === '' || value === 0 || value === '0' || value === false;
}

function checkScalar(kind: string, value: unknown, rules: Rules | undefined, path: string, out: Problems): void {
  if (!rules || (rules.ignore_empty === true && isEmpty(value))) return;
  if (kind === 'string') report(out, path, wording(checkString(String(value ?? ''), rules)));
  else if (kind === 'bytes') {
    const length = Buffer.from(String(value ?? ''), 'base64').length;
    report(out, path, wording(checkNumber(length, rangeOfLength(rules)).map((p) => `length ${p}`)));
  } else if (kind === 'bool') {
    if (rules.const !== undefined && Boolean(value) !== rules.const) report(out, path, [`must be ${String(rules.const)}`]);
  } else report(out, path, checkNumber(Number(value ?? 0), rules));
}

function rangeOfLength(rules: Rules): Rules {
  return { gte: rules.min_len, lte: rules.max_len, const: rules.len };
}

function checkEnum(enumType: protobuf.Enum, value: unknown, rules: Rules | undefined, path: string, out: Problems): void {
  if (!rules) return;
  const number =
    typeof value === 'string' ? (Object.hasOwn(enumType.values, value) ? enumType.values[value] : undefined) : ((value as number | undefined) ?? 0);
  if (rules.defined_only === true && (number === undefined || enumType.valuesById[number] === undefined)) {
    report(out, path, [`${String(value)} is not a defined ${enumType.name}`]);
  }
  const { in: allowed, not_in: refused } = rules;
  if (allowed !== undefined || refused !== undefined) report(out, path, checkNumber(number ?? NaN, { in: allowed, not_in: refused }));
}

function checkAny(value: JsonObject, rules: Rules | undefined, path: string, out: Problems): void {
  const typeUrl = String(value['@type'] ?? '');
  if (Array.isArray(rules?.in) && !rules.in.includes(typeUrl)) report(out, path, [`type ${typeUrl} is not allowed here`]);
  if (Array.isArray(rules?.not_in) && rules.not_in.includes(typeUrl)) report(out, path, [`type ${typeUrl} is not allowed here`]);
  const inner = findMessage(typeUrl);
  if (!inner || wellKnownTypes.has(fullNameOf(inner))) return;
  const { '@type': _type, ...body } = value;
  checkMessage(inner, body, path, out);
}

function checkSingle(field: protobuf.Field, value: unknown, rules: Rules | undefined | null, path: string, out: Problems): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return checkEnum(resolved, value, sub(rules, 'enum'), path, out);
  if (!(resolved instanceof protobuf.Type)) return checkScalar(field.type, value, sub(rules, field.type), path, out);
  const name = fullNameOf(resolved);
  const kindRules = sub(rules, name === 'google.protobuf.Duration' ? 'duration' : name === 'google.protobuf.Any' ? 'any' : 'timestamp');
  if (value === undefined) {
    if (sub(rules, 'message')?.required === true || kindRules?.required === true) report(out, path, ['is required']);
    return;
  }
  if (sub(rules, 'message')?.skip === true) return;
  if (name === 'google.protobuf.Duration') return report(out, path, kindRules ? checkDuration(String(value), kindRules) : []);
  if (name === 'google.protobuf.Any') return checkAny(value as JsonObject, sub(rules, 'any'), path, out);
  const wrapped = wrapperKinds[name];
  if (wrapped) return checkScalar(wrapped, value, sub(rules, wrapped), path, out);
  if (wellKnownTypes.has(name) || !isPlainObject(value)) return;
  checkMessage(resolved, value, path, out);
}

function checkRepeated(field: protobuf.Field, value: unknown, rules: Rules | null, path: string, out: Problems): void {
  const items = Array.isArray(value) ? value : [];
  const repeated = sub(rules, 'repeated');
  if (repeated && !(repeated.ignore_empty === true && items.length === 0)) {
    const count = checkNumber(items.length, { gte: repeated.min_items, lte: repeated.max_items });
    report(out, path, count.map((p) => `must have ${p.replace(/^must be /, '')} items`.replace('at least 1 items', 'an item')));
  }
  const itemRules = sub(repeated, 'items');
  items.forEach((item, i) => checkSingle(field, item, itemRules, indexPath(path, i), out));
}

function checkMap(field: protobuf.Field, value: unknown, rules: Rules | null, path: string, out: Problems): void {
  const entries = isPlainObject(value) ? Object.entries(value) : [];
  const map = sub(rules, 'map');
  if (map) {
    const count = checkNumber(entries.length, { gte: map.min_pairs, lte: map.max_pairs });
    report(out, path, count.map((p) => `must have ${p.replace(/^must be /, '')} entries`));
  }
  const keyType = (field as unknown as protobuf.MapField).keyType;
  for (const [key, item] of Object.entries(isPlainObject(value) ? value : {})) {
    const here = keyPath(path, key);
    checkScalar(keyType, key, sub(sub(map, 'keys'), keyType), here, out);
    checkSingle(field, item, sub(map, 'values'), here, out);
  }
}

function checkMessage(type: protobuf.Type, json: JsonObject, path: string, out: Problems): void {
  for (const oneof of type.oneofsArray) {
    if (oneofRequired(oneof) && !oneof.oneof.some((name) => json[name] !== undefined)) {
      report(out, path, [`one of ${oneof.oneof.join(', ')} must be set`]);
    }
  }
  for (const field of type.fieldsArray) {
    const value = json[field.name];
    const rules = fieldRules(field);
    const here = fieldPath(path, field.name);
    if (field.map) checkMap(field, value, rules, here, out);
    else if (field.repeated) checkRepeated(field, value, rules, here, out);
    else if (value === undefined && field.partOf) continue; // an unset oneof member has no value to check
    else if (rules || value !== undefined) checkSingle(field, value, rules, here, out);
  }
}

/** Every rule a resource breaks, each as "Path.to.field: reason"; empty when it is valid. */
export function validationProblems(type: string, json: unknown): string[] {
  const canonical = normalize(type, json);
  const messageType = lookupMessage(type);
  const out: Problems = [];
  if (fullNameOf(messageType) === 'google.protobuf.Any') checkAny(canonical, undefined, 'Any', out);
  else if (!wellKnownTypes.has(fullNameOf(messageType))) {
    const { '@type': _type, ...body } = canonical;
    checkMessage(messageType, body, messageType.name, out);
  }
  return out;
}

/** normalize() plus Envoy's validation rules; throws XdsError listing what is wrong. */
export function validate(type: string, json: unknown): JsonObject {
  const canonical = normalize(type, json);
  const problems = validationProblems(type, canonical);
  if (problems.length > 0) throw new XdsError(problems.join('; '));
  return canonical;
}
