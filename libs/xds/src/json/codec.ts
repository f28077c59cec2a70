// The public codec: Envoy JSON in and out, protobuf binary only at the edges.
import { lookupMessage, typeNameOf } from '../proto/proto-root.ts';
import { XdsError } from '../xds-error.ts';
import { fail, isPlainObject, show } from './json-path.ts';
import { messageFromJson, messageToJson, type RuntimeMessage } from './message-json.ts';
import { wellKnownTypes } from './well-known-types.ts';

export type JsonObject = { [key: string]: unknown };

const anyType = 'google.protobuf.Any';

function shortName(typeName: string): string {
  return typeName.slice(typeName.lastIndexOf('.') + 1);
}

/** A top-level "@type" may restate the type; it must agree, and is kept in the output. */
function splitTypeTag(type: string, json: unknown): { body: unknown; tag: string | undefined } {
  if (!isPlainObject(json) || !('@type' in json) || typeNameOf(type) === anyType) return { body: json, tag: undefined };
  const { '@type': tag, ...body } = json;
  if (typeof tag !== 'string' || typeNameOf(tag) !== typeNameOf(type)) {
    fail(`${shortName(typeNameOf(type))}.@type`, `${show(tag)} does not match ${typeNameOf(type)}`);
  }
  return { body: wellKnownTypes.has(typeNameOf(type)) ? body.value : body, tag };
}

function toRuntime(type: string, json: unknown): { runtime: RuntimeMessage; tag: string | undefined } {
  const messageType = lookupMessage(type);
  const { body, tag } = splitTypeTag(type, json);
  return { runtime: messageFromJson(messageType, body, messageType.name), tag };
}

function withTag(json: unknown, tag: string | undefined, type: string): JsonObject {
  if (tag === undefined) return json as JsonObject;
  return wellKnownTypes.has(typeNameOf(type)) ? { '@type': tag, value: json } : { '@type': tag, ...(json as JsonObject) };
}

/** Checks proto3 JSON against a message type (full name or type URL); returns canonical Envoy JSON. */
export function normalize(type: string, json: unknown): JsonObject {
  const { runtime, tag } = toRuntime(type, json);
  const messageType = lookupMessage(type);
  return withTag(messageToJson(messageType, runtime, messageType.name), tag, type);
}

/** Envoy JSON -> protobuf binary. */
export function encode(type: string, json: unknown): Uint8Array {
  const { runtime } = toRuntime(type, json);
  return lookupMessage(type).encode(runtime).finish();
}

/** Protobuf binary -> Envoy JSON. */
export function decode(type: string, bytes: Uint8Array): JsonObject {
  const messageType = lookupMessage(type);
  let message: RuntimeMessage;
  try {
    message = messageType.decode(bytes) as unknown as RuntimeMessage;
  } catch (error) {
    throw new XdsError(`${messageType.name}: cannot decode: ${(error as Error).message}`);
  }
  return messageToJson(messageType, message, messageType.name) as JsonObject;
}

export interface PackedAny {
  type_url: string;
  value: Uint8Array;
}

/** Envoy JSON with "@type" -> a google.protobuf.Any with the binary value. */
export function packAny(json: JsonObject): PackedAny {
  if (typeof json['@type'] !== 'string') fail('Any.@type', `missing type URL in ${show(json)}`);
  const runtime = messageFromJson(lookupMessage(anyType), json, shortName(typeNameOf(json['@type'] as string)));
  return { type_url: runtime.type_url as string, value: runtime.value as Uint8Array };
}

/** A google.protobuf.Any -> Envoy JSON with "@type". */
export function unpackAny(any: PackedAny): JsonObject {
  if (!any || typeof any.type_url !== 'string' || any.type_url === '') fail('Any.type_url', 'missing type URL');
  return messageToJson(lookupMessage(anyType), { type_url: any.type_url, value: any.value }, 'Any') as JsonObject;
}
