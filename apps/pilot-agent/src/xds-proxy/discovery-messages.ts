// The few DiscoveryRequest/DiscoveryResponse facts the xDS proxy needs, read from and written to
// the wire directly: responses bound for the proxy are looked at, never decoded or re-encoded.
import protobuf from 'protobufjs';
import { TypeUrl, type JsonObject } from '@mizzen/xds';

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
  let resources: { typeUrl: string; value: Uint8Array }[];
  let table: JsonObject;
  try {
    resources = anyResources(bytes);
    table = resources.length === 1 && resources[0].typeUrl === TypeUrl.NameTable ? nameTable(resources[0].value) : {};
  } catch (error) {
    throw new Error(`not a DiscoveryResponse: ${(error as Error).message}`, { cause: error });
  }
  if (resources.length !== 1) throw new Error(`a NameTable response carries one NameTable, this one has ${resources.length} resources`);
  if (resources[0].typeUrl !== TypeUrl.NameTable) throw new Error(`resources[0] is a ${resources[0].typeUrl}, not a NameTable`);
  return { '@type': TypeUrl.NameTable, ...table };
}

// The agent reads and writes these few messages by hand rather than through @mizzen/xds's
// codec: that codec loads every Envoy proto on first use, which cost each agent a second of
// CPU at start-up for two small messages. Field numbers from envoy/service/discovery/v3 and
// protos/istio/networking/nds/v1/nds.proto.
const RESOURCES = 2;
const ANY_TYPE_URL = 1;
const ANY_VALUE = 2;
const VARINT = 0;

/** Walks the fields of a message, handing each length-delimited one to `field`; others are
 *  skipped. Throws on truncated or malformed bytes. */
function eachField(bytes: Uint8Array, field: (number: number, reader: protobuf.Reader) => void): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 0) throw new Error(`invalid field number 0 at byte ${reader.pos}`);
    if ((tag & 7) === LENGTH_DELIMITED) field(tag >>> 3, reader);
    else reader.skipType(tag & 7);
  }
}

/** The Any resources of a DiscoveryResponse. */
function anyResources(bytes: Uint8Array): { typeUrl: string; value: Uint8Array }[] {
  const resources: { typeUrl: string; value: Uint8Array }[] = [];
  eachField(bytes, (number, reader) => {
    if (number !== RESOURCES) return void reader.skipType(LENGTH_DELIMITED);
    const any: { typeUrl: string; value: Uint8Array } = { typeUrl: '', value: new Uint8Array() };
    eachField(reader.bytes(), (n, r) => {
      if (n === ANY_TYPE_URL) any.typeUrl = r.string();
      else if (n === ANY_VALUE) any.value = r.bytes();
      else r.skipType(LENGTH_DELIMITED);
    });
    resources.push(any);
  });
  return resources;
}

/** NameTable { map<string, NameInfo> table = 1 } as proto3 JSON (empty fields left out). */
function nameTable(bytes: Uint8Array): JsonObject {
  const table: JsonObject = {};
  eachField(bytes, (number, reader) => {
    if (number !== 1) return void reader.skipType(LENGTH_DELIMITED);
    let host = '';
    let info: JsonObject = {};
    eachField(reader.bytes(), (n, r) => {
      if (n === 1) host = r.string();
      else if (n === 2) info = nameInfo(r.bytes());
      else r.skipType(LENGTH_DELIMITED);
    });
    table[host] = info;
  });
  return Object.keys(table).length > 0 ? { table } : {};
}

/** NameInfo { repeated string ips = 1; registry = 2; shortname = 3; namespace = 4; repeated
 *  string alt_hosts = 5 }. */
function nameInfo(bytes: Uint8Array): JsonObject {
  const lists: Record<string, string[]> = { ips: [], alt_hosts: [] };
  const info: JsonObject = {};
  const strings = ['', 'ips', 'registry', 'shortname', 'namespace', 'alt_hosts'];
  eachField(bytes, (number, reader) => {
    const name = strings[number];
    if (name === undefined || name === '') return void reader.skipType(LENGTH_DELIMITED);
    const value = reader.string();
    if (name in lists) lists[name].push(value);
    else if (value !== '') info[name] = value;
  });
  return { ...(lists.ips.length > 0 ? { ips: lists.ips } : {}), ...info, ...(lists.alt_hosts.length > 0 ? { alt_hosts: lists.alt_hosts } : {}) };
}

/** The request that subscribes a stream to the name table. */
export function nameTableRequest(): Buffer {
  return Buffer.from(protobuf.Writer.create().uint32(tag(4)).string(TypeUrl.NameTable).finish());
}

/** The ACK of a name table, or its NACK when `error` is given (version is then the last good one). */
export function nameTableReply(version: string, nonce: string, error?: string): Buffer {
  const writer = protobuf.Writer.create();
  if (version !== '') writer.uint32(tag(VERSION_INFO)).string(version);
  writer.uint32(tag(4)).string(TypeUrl.NameTable);
  if (nonce !== '') writer.uint32(tag(5)).string(nonce);
  if (error !== undefined) {
    // google.rpc.Status: code INVALID_ARGUMENT (3), as Envoy sends with a rejected config.
    writer.uint32(tag(6)).fork().uint32((1 << 3) | VARINT).int32(3).uint32(tag(2)).string(error).ldelim();
  }
  return Buffer.from(writer.finish());
}

/** The tag of a length-delimited field. */
function tag(field: number): number {
  return (field << 3) | LENGTH_DELIMITED;
}
