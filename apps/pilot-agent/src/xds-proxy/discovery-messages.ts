// The few DiscoveryRequest/DiscoveryResponse facts the xDS proxy needs, read from and written to
// the wire directly: responses bound for the proxy are looked at, never decoded or re-encoded.
import protobuf from 'protobufjs';
import { decode, encode, TypeUrl, type JsonObject } from '@mizzen/xds';

export interface ResponseHeader {
  version: string;
  typeUrl: string;
  nonce: string;
}

// DiscoveryResponse field numbers: version_info 1, resources 2, type_url 4, nonce 5.
const VERSION_INFO = 1;
const TYPE_URL = 4;
const NONCE = 5;
const LENGTH_DELIMITED = 2;

/** Reads version, type URL and nonce of a DiscoveryResponse, skipping its resources. Bytes that
 *  are not a DiscoveryResponse give empty strings. */
export function peekResponse(bytes: Uint8Array): ResponseHeader {
  const header: ResponseHeader = { version: '', typeUrl: '', nonce: '' };
  try {
    const reader = protobuf.Reader.create(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (wireType === LENGTH_DELIMITED && field === VERSION_INFO) header.version = reader.string();
      else if (wireType === LENGTH_DELIMITED && field === TYPE_URL) header.typeUrl = reader.string();
      else if (wireType === LENGTH_DELIMITED && field === NONCE) header.nonce = reader.string();
      else reader.skipType(wireType);
    }
  } catch {
    // A truncated message: whatever was read so far.
  }
  return header;
}

/** The name table in a NameTable response (Envoy JSON); throws naming what is wrong. */
export function readNameTable(bytes: Uint8Array): JsonObject {
  let response: JsonObject;
  try {
    response = decode(TypeUrl.DiscoveryResponse, bytes);
  } catch (error) {
    throw new Error(`not a DiscoveryResponse: ${(error as Error).message}`, { cause: error });
  }
  const resources = Array.isArray(response.resources) ? (response.resources as JsonObject[]) : [];
  if (resources.length !== 1) throw new Error(`a NameTable response carries one NameTable, this one has ${resources.length} resources`);
  if (resources[0]['@type'] !== TypeUrl.NameTable) throw new Error(`resources[0] is a ${String(resources[0]['@type'])}, not a NameTable`);
  return resources[0];
}

/** The request that subscribes a stream to the name table. */
export function nameTableRequest(): Buffer {
  return Buffer.from(encode(TypeUrl.DiscoveryRequest, { type_url: TypeUrl.NameTable }));
}

/** The ACK of a name table, or its NACK when `error` is given (version is then the last good one). */
export function nameTableReply(version: string, nonce: string, error?: string): Buffer {
  const request: JsonObject = { version_info: version, type_url: TypeUrl.NameTable, response_nonce: nonce };
  // google.rpc.Code INVALID_ARGUMENT, as Envoy sends with a rejected config.
  if (error !== undefined) request.error_detail = { code: 3, message: error };
  return Buffer.from(encode(TypeUrl.DiscoveryRequest, request));
}
