// What a delta ADS client keeps across streams: per type, what it subscribed to and the
// resources it accepted with their versions. Pure: each step returns the new state and the
// DeltaDiscoveryRequest to send.
import type { JsonObject } from '../json/codec.ts';
import type { DeltaDiscoveryRequest } from '../resources/discovery.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { invalidArgument } from './client-stream-state.ts';
import { wildcardName } from './delta-server-state.ts';

export interface HeldResource {
  version: string;
  resource: JsonObject;
}

export interface DeltaClientTypeState {
  wildcard: boolean;
  /** The names asked for by name. */
  resourceNames: ReadonlySet<string>;
  /** The resources accepted, by name. */
  resources: ReadonlyMap<string, HeldResource>;
  /** system_version_info of the last accepted response ("" before the first). */
  systemVersion: string;
}

export interface DeltaClientStreamState {
  types: ReadonlyMap<string, DeltaClientTypeState>;
}

/** One response, unpacked: the resources it adds or replaces and the names it removes. */
export interface DeltaUpdate {
  resources: { name: string; version: string; resource: JsonObject }[];
  removed: string[];
}

/** LDS and CDS are asked for as a whole when no names are given, as with state of the world. */
const wildcardByDefault: ReadonlySet<string> = new Set([TypeUrl.Listener, TypeUrl.Cluster]);

export function emptyDeltaClientStreamState(): DeltaClientStreamState {
  return { types: new Map() };
}

function emptyType(): DeltaClientTypeState {
  return { wildcard: false, resourceNames: new Set(), resources: new Map(), systemVersion: '' };
}

function withType(state: DeltaClientStreamState, typeUrl: string, type: DeltaClientTypeState): DeltaClientStreamState {
  return { types: new Map(state.types).set(typeUrl, type) };
}

/** Moves a type to a new subscription and says what changed; the client drops what it no longer covers. */
function resubscribe(
  state: DeltaClientStreamState,
  typeUrl: string,
  wildcard: boolean,
  names: ReadonlySet<string>,
): { state: DeltaClientStreamState; request: DeltaDiscoveryRequest | null } {
  const current = state.types.get(typeUrl);
  const before = current ?? emptyType();
  const subscribe = [...names].filter((name) => !before.resourceNames.has(name));
  const unsubscribe = [...before.resourceNames].filter((name) => !names.has(name));
  if (wildcard && !before.wildcard) subscribe.unshift(wildcardName);
  if (!wildcard && before.wildcard) unsubscribe.unshift(wildcardName);
  const resources = new Map([...before.resources].filter(([name]) => wildcard || names.has(name)));
  const next = { ...before, wildcard, resourceNames: names, resources };
  if (subscribe.length === 0 && unsubscribe.length === 0) return { state: current ? state : withType(state, typeUrl, next), request: null };
  const request: DeltaDiscoveryRequest = { type_url: typeUrl };
  if (subscribe.length > 0) request.resource_names_subscribe = subscribe;
  if (unsubscribe.length > 0) request.resource_names_unsubscribe = unsubscribe;
  return { state: withType(state, typeUrl, next), request };
}

/**
 * Sets what the client asks for of a type: the names given, "*" for everything, or (for LDS and
 * CDS) no names for everything. The request carries only the difference; none when nothing changed.
 */
export function deltaClientSubscribe(
  state: DeltaClientStreamState,
  typeUrl: string,
  resourceNames: string[],
): { state: DeltaClientStreamState; request: DeltaDiscoveryRequest | null } {
  const wildcard = resourceNames.includes(wildcardName) || (resourceNames.length === 0 && wildcardByDefault.has(typeUrl));
  return resubscribe(state, typeUrl, wildcard, new Set(resourceNames.filter((name) => name !== wildcardName)));
}

/** Stops asking for some names of a type ("*" ends a wildcard subscription). */
export function deltaClientUnsubscribe(
  state: DeltaClientStreamState,
  typeUrl: string,
  resourceNames: string[],
): { state: DeltaClientStreamState; request: DeltaDiscoveryRequest | null } {
  const current = state.types.get(typeUrl) ?? emptyType();
  const names = new Set([...current.resourceNames].filter((name) => !resourceNames.includes(name)));
  return resubscribe(state, typeUrl, current.wildcard && !resourceNames.includes(wildcardName), names);
}

/** The resources a type would hold after an update (nothing is kept until it is accepted). */
export function deltaClientApply(state: DeltaClientStreamState, typeUrl: string, update: DeltaUpdate): ReadonlyMap<string, HeldResource> {
  const resources = new Map(state.types.get(typeUrl)?.resources ?? []);
  for (const name of update.removed) resources.delete(name);
  for (const { name, version, resource } of update.resources) resources.set(name, { version, resource });
  return resources;
}

/**
 * Keeps an accepted update's resources and system version, except those of names unsubscribed
 * while the update was being applied.
 */
export function deltaClientAccept(
  state: DeltaClientStreamState,
  typeUrl: string,
  resources: ReadonlyMap<string, HeldResource>,
  systemVersion: string,
): DeltaClientStreamState {
  const type = state.types.get(typeUrl) ?? emptyType();
  const kept = new Map([...resources].filter(([name]) => type.wildcard || type.resourceNames.has(name)));
  return withType(state, typeUrl, { ...type, resources: kept, systemVersion });
}

/** The ACK of a response, or its NACK with the reason (the client kept its last good set). */
export function deltaClientReply(typeUrl: string, nonce: string, error?: string): DeltaDiscoveryRequest {
  const request: DeltaDiscoveryRequest = { type_url: typeUrl, response_nonce: nonce };
  if (error !== undefined) request.error_detail = { code: invalidArgument, message: error };
  return request;
}

/**
 * A new stream: subscribe again to everything, telling the server which versions the client
 * already holds (initial_resource_versions) so that it sends only what differs.
 */
export function deltaClientResume(state: DeltaClientStreamState): DeltaDiscoveryRequest[] {
  const requests: DeltaDiscoveryRequest[] = [];
  for (const [typeUrl, type] of state.types) {
    const subscribe = [...(type.wildcard ? [wildcardName] : []), ...type.resourceNames];
    if (subscribe.length === 0) continue;
    const request: DeltaDiscoveryRequest = { type_url: typeUrl, resource_names_subscribe: subscribe };
    if (type.resources.size > 0) {
      request.initial_resource_versions = Object.fromEntries([...type.resources].map(([name, held]) => [name, held.version]));
    }
    requests.push(request);
  }
  return requests;
}
