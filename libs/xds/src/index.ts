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
export { AdsServer } from './ads/ads-server.ts';
export type { AdsServerExtras, AdsServerHandler, AdsServerOptions, AdsStreamInfo } from './ads/ads-server.ts';
export { AdsClient } from './ads/ads-client.ts';
export type { AdsClientOptions } from './ads/ads-client.ts';
export { emptyServerStreamState, onServerRequest, onServerResponse } from './ads/server-stream-state.ts';
export type { ServerDecision, ServerStreamState, ServerTypeState } from './ads/server-stream-state.ts';
export { clientRespond, clientResume, clientSubscribe, emptyClientStreamState, invalidArgument } from './ads/client-stream-state.ts';
export type { ClientStreamState, ClientTypeState } from './ads/client-stream-state.ts';
export { backoffDelay, defaultBackoff } from './ads/backoff.ts';
export type { BackoffPolicy } from './ads/backoff.ts';
export { adsMethodPath, adsServiceDefinition, adsServiceName } from './ads/ads-wire.ts';
export type { WireResponse } from './ads/ads-wire.ts';
export { DeltaAdsServer } from './ads/delta-ads-server.ts';
export type { DeltaAdsServerHandler, DeltaPush } from './ads/delta-ads-server.ts';
export { DeltaAdsClient } from './ads/delta-ads-client.ts';
export type { DeltaAdsClientOptions, DeltaResourceChanges } from './ads/delta-ads-client.ts';
export { coversName, deltaToSend, emptyDeltaServerStreamState, onDeltaServerRequest, onDeltaServerResponse, owesAnswer, summarizeDeltaStream, wildcardName } from './ads/delta-server-state.ts';
export type { DeltaChanges, DeltaServerDecision, DeltaServerStreamState, DeltaServerTypeState, DeltaSubscription, DeltaTypeSummary } from './ads/delta-server-state.ts';
export {
  deltaClientAccept,
  deltaClientApply,
  deltaClientReply,
  deltaClientResume,
  deltaClientSubscribe,
  deltaClientUnsubscribe,
  emptyDeltaClientStreamState,
} from './ads/delta-client-state.ts';
export type { DeltaClientStreamState, DeltaClientTypeState, DeltaUpdate, HeldResource } from './ads/delta-client-state.ts';
export { deltaAdsMethodPath, deltaAdsServiceDefinition } from './ads/delta-wire.ts';
export type { WireDeltaResource, WireDeltaResponse } from './ads/delta-wire.ts';
export { adminConfigDump } from './admin/admin-config-dump.ts';
export type { ConfigDumpSources, DumpEntry } from './admin/admin-config-dump.ts';
export { validate, validationProblems } from './validate/validate.ts';
