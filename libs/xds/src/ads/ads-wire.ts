// The ADS method and how its messages cross the wire. Requests travel as Envoy JSON; a
// response keeps its resources packed until the receiver unpacks them one by one, so one bad
// resource becomes a NACK instead of a broken stream.
import type * as grpc from '@grpc/grpc-js';
import { decode, encode, type JsonObject, type PackedAny } from '../json/codec.ts';
import { lookupMessage } from '../proto/proto-root.ts';
import type { DiscoveryRequest } from '../resources/discovery.ts';
import { TypeUrl } from '../resources/type-url.ts';

export const adsServiceName = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const adsMethodPath = `/${adsServiceName}/StreamAggregatedResources`;

/** A DiscoveryResponse with its resources still packed. */
export interface WireResponse {
  version_info: string;
  type_url: string;
  nonce: string;
  resources: PackedAny[];
  control_plane?: { identifier: string };
}

export function serializeRequest(request: DiscoveryRequest): Buffer {
  return Buffer.from(encode(TypeUrl.DiscoveryRequest, request));
}

export function deserializeRequest(bytes: Buffer): DiscoveryRequest {
  return decode(TypeUrl.DiscoveryRequest, bytes) as DiscoveryRequest;
}

export function serializeResponse(response: WireResponse): Buffer {
  return Buffer.from(lookupMessage(TypeUrl.DiscoveryResponse).encode(response).finish());
}

export function deserializeResponse(bytes: Buffer): WireResponse {
  const message = lookupMessage(TypeUrl.DiscoveryResponse).decode(bytes) as unknown as Partial<WireResponse>;
  return {
    version_info: message.version_info ?? '',
    type_url: message.type_url ?? '',
    nonce: message.nonce ?? '',
    resources: (message.resources ?? []).map((any) => ({ type_url: any.type_url ?? '', value: any.value ?? new Uint8Array() })),
  };
}

export const adsServiceDefinition = {
  StreamAggregatedResources: {
    path: adsMethodPath,
    requestStream: true,
    responseStream: true,
    requestSerialize: serializeRequest,
    requestDeserialize: deserializeRequest,
    responseSerialize: serializeResponse,
    responseDeserialize: deserializeResponse,
  },
} satisfies grpc.ServiceDefinition;

/** Resource lists can be large (a cluster per service); allow well past gRPC's 4 MiB default. */
export const channelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
};

export type { JsonObject };
