// @mizzen/xds/schema: Envoy's v3 types, the proto3 JSON codec and validation, without the ADS
// transport. A process that never speaks ADS (a proxy on a static bootstrap) imports this entry
// so that gRPC (about 18 MB of resident memory) is never loaded.
export { XdsError } from './xds-error.ts';
export { protoRoot, lookupMessage, releaseProtoRoot, typeNameOf } from './proto/proto-root.ts';
export { normalize, encode, decode, packAny, unpackAny } from './json/codec.ts';
export type { JsonObject, PackedAny } from './json/codec.ts';
export { TypeUrl, typeUrlOf, resourceName } from './resources/type-url.ts';
export type { TypeUrlValue } from './resources/type-url.ts';
export { adminConfigDump } from './admin/admin-config-dump.ts';
export type { ConfigDumpSources, DumpEntry } from './admin/admin-config-dump.ts';
export { validate, validationProblems } from './validate/validate.ts';
