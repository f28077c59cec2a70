// What an ADS server knows about one stream, per type URL, and how it reads each request.
// Pure: a request and the state in, the new state and the decisions out.
import type { DiscoveryRequest } from '../resources/discovery.ts';

export interface ServerTypeState {
  /** The names the client asked for; empty means "all" for wildcard types (LDS, CDS). */
  resourceNames: string[];
  /** Set once the client has asked for this type; a push alone does not subscribe it. */
  subscribed: boolean;
  /** Nonce and version of the last response sent; only a request echoing this nonce counts. */
  sentNonce: string;
  sentVersion: string;
  /** The version the client last accepted. */
  ackedVersion: string;
}

export interface ServerStreamState {
  types: Readonly<Record<string, ServerTypeState>>;
}

/** What a reply or a bad request means; both ADS variants read these alike. */
export type ReplyDecision =
  | { kind: 'ack'; typeUrl: string; version: string; nonce: string }
  | { kind: 'nack'; typeUrl: string; version: string; nonce: string; error: string }
  | { kind: 'stale'; typeUrl: string; nonce: string }
  | { kind: 'invalid'; reason: string };

export type ServerDecision =
  /** knownVersion: the version the client says it has (set when it resumes after a reconnect). */
  | { kind: 'subscribe'; typeUrl: string; resourceNames: string[]; knownVersion: string }
  | ReplyDecision;

export function emptyServerStreamState(): ServerStreamState {
  return { types: {} };
}

/** Whether two name lists hold the same names. A client repeats its names in the same order
 *  with every ACK, so that is checked first, without sorting. */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  if (a.every((name, i) => name === b[i])) return true;
  const names = new Set(a);
  return names.size === new Set(b).size && b.every((name) => names.has(name));
}

function withType(state: ServerStreamState, typeUrl: string, next: ServerTypeState): ServerStreamState {
  return { types: { ...state.types, [typeUrl]: next } };
}

/** Reads one DiscoveryRequest: a subscription, an ACK, a NACK, or a stale reply to ignore. */
export function onServerRequest(
  state: ServerStreamState,
  request: DiscoveryRequest,
): { state: ServerStreamState; decisions: ServerDecision[] } {
  const typeUrl = request.type_url ?? '';
  if (typeUrl === '') return { state, decisions: [{ kind: 'invalid', reason: 'DiscoveryRequest.type_url is empty' }] };
  const names = request.resource_names ?? [];
  const nonce = request.response_nonce ?? '';
  const version = request.version_info ?? '';
  const current = state.types[typeUrl];

  if (!current || nonce === '') {
    // A first request (also the first after a reconnect, which may carry the version it has).
    const base = current ?? { sentNonce: '', sentVersion: '', ackedVersion: version };
    const changed = !current?.subscribed || !sameNames(current.resourceNames, names);
    const next = { ...base, resourceNames: names, subscribed: true };
    return {
      state: withType(state, typeUrl, next),
      decisions: changed ? [{ kind: 'subscribe', typeUrl, resourceNames: names, knownVersion: version }] : [],
    };
  }
  if (nonce !== current.sentNonce) {
    // A reply to an older response; the client will answer the newest one too.
    return { state, decisions: [{ kind: 'stale', typeUrl, nonce }] };
  }

  const decisions: ServerDecision[] = [];
  let next: ServerTypeState = { ...current, resourceNames: names, subscribed: true };
  if (request.error_detail) {
    decisions.push({ kind: 'nack', typeUrl, version, nonce, error: request.error_detail.message ?? '' });
  } else {
    decisions.push({ kind: 'ack', typeUrl, version, nonce });
    next = { ...next, ackedVersion: version };
  }
  if (!current.subscribed || !sameNames(current.resourceNames, names)) {
    decisions.push({ kind: 'subscribe', typeUrl, resourceNames: names, knownVersion: next.ackedVersion });
  }
  return { state: withType(state, typeUrl, next), decisions };
}

/** Records a response sent on the stream; only its nonce is current from now on. */
export function onServerResponse(state: ServerStreamState, typeUrl: string, version: string, nonce: string): ServerStreamState {
  const current = state.types[typeUrl] ?? { resourceNames: [], subscribed: false, ackedVersion: '', sentNonce: '', sentVersion: '' };
  return withType(state, typeUrl, { ...current, sentNonce: nonce, sentVersion: version });
}
