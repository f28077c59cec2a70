// @mizzen/xds: Envoy v3 types, the proto3 JSON codec, and the ADS transport.
export { XdsError } from './xds-error.ts';
export { protoRoot, lookupMessage, typeNameOf } from './proto/proto-root.ts';
export { normalize, encode, decode, packAny, unpackAny } from './json/codec.ts';
export type { JsonObject, PackedAny } from './json/codec.ts';
export { TypeUrl, typeUrlOf, resourceName } from './resources/type-url.ts';
export type { TypeUrlValue } from './resources/type-url.ts';
export type * from './resources/core.ts';
export type * from './resources/listener.ts';
export type * from './resources/route.ts';
export type * from './resources/cluster.ts';
export type * from './resources/endpoint.ts';
export type * from './resources/secret.ts';
export type * from './resources/filters.ts';
export type * from './resources/bootstrap.ts';
export type * from './resources/config-dump.ts';
export type * from './resources/discovery.ts';
