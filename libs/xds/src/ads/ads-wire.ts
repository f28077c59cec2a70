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

/** Most requests are ACKs that repeat every name subscribed to (a thousand EDS clusters, say):
 *  those are read straight from the protobuf message. A request with a node (the first of a
 *  stream) or an error (a NACK) goes through the full JSON mapping, for its Struct and Status. */
export function deserializeRequest(bytes: Buffer): DiscoveryRequest {
  const messageType = lookupMessage(TypeUrl.DiscoveryRequest);
  type Fields = { version_info?: string; node?: unknown; resource_names?: string[]; type_url?: string; response_nonce?: string; error_detail?: unknown };
  let message: Fields;
  try {
    message = messageType.decode(bytes) as unknown as Fields;
  } catch {
    return decode(TypeUrl.DiscoveryRequest, bytes) as DiscoveryRequest; // throws, naming the message
  }
  if (message.node || message.error_detail) return decode(TypeUrl.DiscoveryRequest, bytes) as DiscoveryRequest;
  const request: DiscoveryRequest = {};
  if (message.version_info) request.version_info = message.version_info;
  if (message.resource_names?.length) request.resource_names = message.resource_names;
  if (message.type_url) request.type_url = message.type_url;
  if (message.response_nonce) request.response_nonce = message.response_nonce;
  return request;
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
