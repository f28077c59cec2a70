// What an ADS client keeps across streams: its subscriptions and the versions it accepted.
// Pure: each step returns the new state and the DiscoveryRequest to send.
import type { DiscoveryRequest } from '../resources/discovery.ts';

export interface ClientTypeState {
  /** False for a type the server sent without being asked; it is ACKed but not resubscribed. */
  subscribed: boolean;
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
  return state.types[typeUrl] ?? { subscribed: false, resourceNames: [], ackedVersion: '', nonce: '' };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((name) => set.has(name));
}

/**
 * Asks for a type (or changes its names); the request echoes the latest nonce, as Envoy does.
 * Asking again for the same names sends nothing (request is null).
 */
export function clientSubscribe(
  state: ClientStreamState,
  typeUrl: string,
  resourceNames: string[],
): { state: ClientStreamState; request: DiscoveryRequest | null } {
  const current = state.types[typeUrl];
  if (current?.subscribed && sameNames(current.resourceNames, resourceNames)) return { state, request: null };
  const type = { ...typeOf(state, typeUrl), subscribed: true, resourceNames: [...resourceNames] };
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

/**
 * A response from a stream that has since been replaced was applied: keep its version, but
 * not its nonce, which means nothing to the new stream.
 */
export function clientAcceptedOnOldStream(state: ClientStreamState, typeUrl: string, version: string): ClientStreamState {
  return withType(state, typeUrl, { ...typeOf(state, typeUrl), ackedVersion: version });
}

/** A new stream: nonces belong to the old one; resubscribe everything with the accepted versions. */
export function clientResume(state: ClientStreamState): { state: ClientStreamState; requests: DiscoveryRequest[] } {
  const types = Object.fromEntries(Object.entries(state.types).map(([url, type]) => [url, { ...type, nonce: '' }]));
  const requests = Object.entries(types)
    .filter(([, type]) => type.subscribed)
    .map(([url, type]) => request(url, type));
  return { state: { types }, requests };
}
