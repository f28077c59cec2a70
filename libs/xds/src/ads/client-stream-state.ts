// What an ADS client keeps across streams: its subscriptions and the versions it accepted.
// Pure: each step returns the new state and the DiscoveryRequest to send.
import type { DiscoveryRequest } from '../resources/discovery.ts';

export interface ClientTypeState {
  resourceNames: string[];
  /** The last version the client accepted ("" before the first). */
  ackedVersion: string;
  /** The nonce of the last response on the current stream ("" on a fresh stream). */
  nonce: string;
}

export interface ClientStreamState {
  types: Readonly<Record<string, ClientTypeState>>;
}

/** gRPC's INVALID_ARGUMENT, the code Envoy puts in a NACK. */
export const invalidArgument = 3;

export function emptyClientStreamState(): ClientStreamState {
  return { types: {} };
}

function request(typeUrl: string, type: ClientTypeState): DiscoveryRequest {
  const out: DiscoveryRequest = { type_url: typeUrl, resource_names: type.resourceNames, version_info: type.ackedVersion };
  if (type.nonce !== '') out.response_nonce = type.nonce;
  return out;
}

function withType(state: ClientStreamState, typeUrl: string, type: ClientTypeState): ClientStreamState {
  return { types: { ...state.types, [typeUrl]: type } };
}

function typeOf(state: ClientStreamState, typeUrl: string): ClientTypeState {
  return state.types[typeUrl] ?? { resourceNames: [], ackedVersion: '', nonce: '' };
}

/** Asks for a type (or changes its names); the request echoes the latest nonce, as Envoy does. */
export function clientSubscribe(
  state: ClientStreamState,
  typeUrl: string,
  resourceNames: string[],
): { state: ClientStreamState; request: DiscoveryRequest } {
  const type = { ...typeOf(state, typeUrl), resourceNames: [...resourceNames] };
  return { state: withType(state, typeUrl, type), request: request(typeUrl, type) };
}

/** After applying a response: an ACK with its version, or a NACK that keeps the last good one. */
export function clientRespond(
  state: ClientStreamState,
  response: { type_url: string; version_info: string; nonce: string },
  error?: string,
): { state: ClientStreamState; request: DiscoveryRequest } {
  const current = typeOf(state, response.type_url);
  const type: ClientTypeState = {
    ...current,
    nonce: response.nonce,
    ackedVersion: error === undefined ? response.version_info : current.ackedVersion,
  };
  const out = request(response.type_url, type);
  if (error !== undefined) out.error_detail = { code: invalidArgument, message: error };
  return { state: withType(state, response.type_url, type), request: out };
}

/** A new stream: nonces belong to the old one; resubscribe everything with the accepted versions. */
export function clientResume(state: ClientStreamState): { state: ClientStreamState; requests: DiscoveryRequest[] } {
  const types = Object.fromEntries(Object.entries(state.types).map(([url, type]) => [url, { ...type, nonce: '' }]));
  return { state: { types }, requests: Object.entries(types).map(([url, type]) => request(url, type)) };
}
