// The delta ADS method and how its messages cross the wire. As with state of the world,
// requests travel as Envoy JSON and a response keeps each resource packed until the receiver
// unpacks it, so one bad resource becomes a NACK instead of a broken stream.
import type * as grpc from '@grpc/grpc-js';
import { decode, encode, type PackedAny } from '../json/codec.ts';
import { lookupMessage } from '../proto/proto-root.ts';
import type { DeltaDiscoveryRequest } from '../resources/discovery.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { adsServiceName } from './ads-wire.ts';

export const deltaAdsMethodPath = `/${adsServiceName}/DeltaAggregatedResources`;

/** One resource of a DeltaDiscoveryResponse, still packed. */
export interface WireDeltaResource {
  name: string;
  version: string;
  resource: PackedAny;
}

/** A DeltaDiscoveryResponse with its resources still packed. */
export interface WireDeltaResponse {
  system_version_info: string;
  type_url: string;
  nonce: string;
  resources: WireDeltaResource[];
  removed_resources: string[];
}

export function serializeDeltaRequest(request: DeltaDiscoveryRequest): Buffer {
  return Buffer.from(encode(TypeUrl.DeltaDiscoveryRequest, request));
}

export function deserializeDeltaRequest(bytes: Buffer): DeltaDiscoveryRequest {
  return decode(TypeUrl.DeltaDiscoveryRequest, bytes) as DeltaDiscoveryRequest;
}

export function serializeDeltaResponse(response: WireDeltaResponse): Buffer {
  return Buffer.from(lookupMessage(TypeUrl.DeltaDiscoveryResponse).encode(response).finish());
}

type DecodedResource = { name?: string; version?: string; resource?: { type_url?: string; value?: Uint8Array } };

export function deserializeDeltaResponse(bytes: Buffer): WireDeltaResponse {
  const message = lookupMessage(TypeUrl.DeltaDiscoveryResponse).decode(bytes) as unknown as {
    system_version_info?: string;
    type_url?: string;
    nonce?: string;
    resources?: DecodedResource[];
    removed_resources?: string[];
  };
  return {
    system_version_info: message.system_version_info ?? '',
    type_url: message.type_url ?? '',
    nonce: message.nonce ?? '',
    resources: (message.resources ?? []).map((r) => ({
      name: r.name ?? '',
      version: r.version ?? '',
      resource: { type_url: r.resource?.type_url ?? '', value: r.resource?.value ?? new Uint8Array() },
    })),
    removed_resources: message.removed_resources ?? [],
  };
}

export const deltaAdsServiceDefinition = {
  DeltaAggregatedResources: {
    path: deltaAdsMethodPath,
    requestStream: true,
    responseStream: true,
    requestSerialize: serializeDeltaRequest,
    requestDeserialize: deserializeDeltaRequest,
    responseSerialize: serializeDeltaResponse,
    responseDeserialize: deserializeDeltaResponse,
  },
} satisfies grpc.ServiceDefinition;
