// Proto3 JSON for scalar fields: JSON value <-> the runtime value protobufjs encodes.
import protobuf from 'protobufjs';
import { fail, show } from './json-path.ts';

type Long = protobuf.Long;

/** protobufjs writes any { low, high } pair as a 64-bit integer. */
function toLong(value: bigint, unsigned: boolean): Long {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned };
}

/** protobufjs decodes 64-bit integers as Long objects (or numbers, or strings we made). */
function longToBigInt(value: unknown, unsigned: boolean): bigint {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return BigInt(value);
  const { low, high } = value as Long;
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

const int32Range = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const uint32Range = { min: 0n, max: 2n ** 32n - 1n };
const int64Range = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const uint64Range = { min: 0n, max: 2n ** 64n - 1n };

const ranges: Record<string, { min: bigint; max: bigint }> = {
  int32: int32Range,
  sint32: int32Range,
  sfixed32: int32Range,
  uint32: uint32Range,
  fixed32: uint32Range,
  int64: int64Range,
  sint64: int64Range,
  sfixed64: int64Range,
  uint64: uint64Range,
  fixed64: uint64Range,
};

const longTypes = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

export function isLongType(type: string): boolean {
  return longTypes.has(type);
}

export function isScalarType(type: string): boolean {
  return type in ranges || ['double', 'float', 'bool', 'string', 'bytes'].includes(type);
}

function parseInteger(type: string, json: unknown, path: string): bigint {
  let value: bigint;
  if (typeof json === 'number' && Number.isInteger(json)) value = BigInt(json);
  else if (typeof json === 'string' && /^-?\d+$/.test(json.trim())) value = BigInt(json.trim());
  else if (typeof json === 'string' && /^-?\d+(\.0*)?(e\+?\d+)?$/i.test(json.trim()) && Number.isSafeInteger(Number(json)))
    value = BigInt(Number(json));
  else return fail(path, `expected an integer (${type}), got ${show(json)}`);
  const range = ranges[type]!;
  if (value < range.min || value > range.max) fail(path, `${value} is out of range for ${type}`);
  return value;
}

function parseFloatValue(type: string, json: unknown, path: string): number {
  if (typeof json === 'number') return json;
  if (json === 'NaN') return NaN;
  if (json === 'Infinity') return Infinity;
  if (json === '-Infinity') return -Infinity;
  if (typeof json === 'string' && json.trim() !== '' && Number.isFinite(Number(json))) return Number(json);
  return fail(path, `expected a number (${type}), got ${show(json)}`);
}

const base64Pattern = /^[A-Za-z0-9+/\-_]*={0,2}$/;

function parseBytes(json: unknown, path: string): Uint8Array {
  if (typeof json !== 'string' || !base64Pattern.test(json)) return fail(path, `expected base64 bytes, got ${show(json)}`);
  return new Uint8Array(Buffer.from(json.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

/** A JSON value of a scalar field -> the value protobufjs writes (Long for 64-bit integers). */
export function scalarFromJson(type: string, json: unknown, path: string): unknown {
  switch (type) {
    case 'double':
    case 'float':
      return parseFloatValue(type, json, path);
    case 'bool':
      if (typeof json !== 'boolean') fail(path, `expected true or false, got ${show(json)}`);
      return json;
    case 'string':
      if (typeof json !== 'string') fail(path, `expected a string, got ${show(json)}`);
      return json;
    case 'bytes':
      return parseBytes(json, path);
  }
  if (!(type in ranges)) return fail(path, `unsupported scalar type ${type}`);
  const value = parseInteger(type, json, path);
  return isLongType(type) ? toLong(value, isUnsigned(type)) : Number(value);
}

/** Shortest decimal that reads back as the same 32-bit float (0.1f prints as 0.1). */
function shortestFloat(value: number): number {
  for (let digits = 1; digits < 17; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function floatToJson(type: string, value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return type === 'float' ? shortestFloat(value) : value;
}

function isUnsigned(type: string): boolean {
  return type === 'uint64' || type === 'fixed64';
}

/** A runtime scalar (as protobufjs decodes it) -> its proto3 JSON value. */
export function scalarToJson(type: string, value: unknown): unknown {
  switch (type) {
    case 'double':
    case 'float':
      return floatToJson(type, value as number);
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'bool':
    case 'string':
      return value;
  }
  if (isLongType(type)) return longToBigInt(value, isUnsigned(type)).toString();
  return value;
}

/** Proto3 leaves default scalars off the wire and out of JSON. */
export function isDefaultScalar(type: string, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  switch (type) {
    case 'bool':
      return value === false;
    case 'string':
      return value === '';
    case 'bytes':
      return (value as Uint8Array).length === 0;
    case 'double':
    case 'float':
      return value === 0 && !Object.is(value, -0);
  }
  if (isLongType(type)) return longToBigInt(value, false) === 0n;
  return value === 0;
}
