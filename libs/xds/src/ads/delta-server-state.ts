// What a delta ADS server knows about one stream, per type URL: what the client subscribed to,
// which version of each resource it holds, and which responses it has yet to answer.
// Pure: a request (or a response sent) and the state in, the new state and the decisions out.
import type { DeltaDiscoveryRequest } from '../resources/discovery.ts';
import { TypeUrl } from '../resources/type-url.ts';
import type { ReplyDecision } from './server-stream-state.ts';

export const wildcardName = '*';

/** Types whose empty first request means "everything" (the legacy wildcard). */
const legacyWildcardTypes: ReadonlySet<string> = new Set([TypeUrl.Listener, TypeUrl.Cluster]);

export interface DeltaServerTypeState {
  /** 'explicit' after a subscription to "*", 'legacy' after an empty first LDS or CDS request. */
  wildcard: 'no' | 'explicit' | 'legacy';
  /** The names the client asked for by name. */
  resourceNames: ReadonlySet<string>;
  /** What the client holds as far as the server knows: name -> version ("" when unknown after a NACK). */
  clientVersions: ReadonlyMap<string, string>;
  /** Names asked for by name that the server has said do not exist (in removed_resources). */
  reportedAbsent: ReadonlySet<string>;
  /** Responses not yet ACKed or NACKed: nonce -> their system version and resource names. */
  pending: ReadonlyMap<string, { version: string; names: string[] }>;
  /** Whether the client declared initial_resource_versions (it resumes; no empty answer is owed). */
  resumed: boolean;
  /** Set once a response of this type was sent on this stream. */
  answered: boolean;
  sentNonce: string;
  sentVersion: string;
  /** The system version of the last response the client ACKed. */
  ackedVersion: string;
}

export interface DeltaServerStreamState {
  types: ReadonlyMap<string, DeltaServerTypeState>;
}

/** A subscription as the handler sees it. */
export interface DeltaSubscription {
  wildcard: boolean;
  /** Every name asked for by name, after this request. */
  resourceNames: string[];
  /** Names this request added and removed. */
  added: string[];
  removed: string[];
  /** initial_resource_versions of a resuming client: what it already holds. */
  knownVersions: Record<string, string>;
}

export type DeltaServerDecision = { kind: 'subscribe'; typeUrl: string; subscription: DeltaSubscription } | ReplyDecision;

/** What one response carries: resources to add or replace (name -> version) and names removed. */
export interface DeltaChanges {
  updated: [name: string, version: string][];
  removed: string[];
}

/** Responses kept for matching ACKs; a client that never answers cannot grow the state. */
const maxPending = 64;

export function emptyDeltaServerStreamState(): DeltaServerStreamState {
  return { types: new Map() };
}

function emptyType(): DeltaServerTypeState {
  return {
    wildcard: 'no',
    resourceNames: new Set(),
    clientVersions: new Map(),
    reportedAbsent: new Set(),
    pending: new Map(),
    resumed: false,
    answered: false,
    sentNonce: '',
    sentVersion: '',
    ackedVersion: '',
  };
}

function withType(state: DeltaServerStreamState, typeUrl: string, type: DeltaServerTypeState): DeltaServerStreamState {
  return { types: new Map(state.types).set(typeUrl, type) };
}

/** Whether the client's subscription covers a resource name. */
export function coversName(type: DeltaServerTypeState, name: string): boolean {
  return type.wildcard !== 'no' || type.resourceNames.has(name);
}

/** Reads an ACK or NACK carried by a request (any request may carry one). */
function readReply(type: DeltaServerTypeState, typeUrl: string, request: DeltaDiscoveryRequest): { type: DeltaServerTypeState; decision?: DeltaServerDecision } {
  const nonce = request.response_nonce ?? '';
  if (nonce === '') return { type };
  const answered = type.pending.get(nonce);
  if (!answered) return { type, decision: { kind: 'stale', typeUrl, nonce } };
  const pending = new Map(type.pending);
  pending.delete(nonce);
  if (!request.error_detail) {
    return { type: { ...type, pending, ackedVersion: answered.version }, decision: { kind: 'ack', typeUrl, version: answered.version, nonce } };
  }
  // The client kept what it had before this response: the server no longer knows which
  // version of these names it holds, so the next full push sends them (or their removal) again.
  const clientVersions = new Map(type.clientVersions);
  for (const name of answered.names) clientVersions.set(name, '');
  const error = request.error_detail.message ?? '';
  return { type: { ...type, pending, clientVersions }, decision: { kind: 'nack', typeUrl, version: answered.version, nonce, error } };
}

/** Applies resource_names_subscribe / _unsubscribe (and, on a first request, the legacy wildcard). */
function readSubscription(
  type: DeltaServerTypeState,
  first: boolean,
  typeUrl: string,
  request: DeltaDiscoveryRequest,
): { type: DeltaServerTypeState; added: string[]; removed: string[]; changed: boolean } {
  const subscribe = request.resource_names_subscribe ?? [];
  const unsubscribe = request.resource_names_unsubscribe ?? [];
  let wildcard = type.wildcard;
  if (first && subscribe.length === 0 && unsubscribe.length === 0 && legacyWildcardTypes.has(typeUrl)) wildcard = 'legacy';
  // Naming resources after a legacy wildcard replaces it, unless "*" is named too.
  if (wildcard === 'legacy' && subscribe.some((name) => name !== wildcardName)) wildcard = 'no';
  if (subscribe.includes(wildcardName)) wildcard = 'explicit';
  if (unsubscribe.includes(wildcardName)) wildcard = 'no';

  const names = new Set(type.resourceNames);
  const reportedAbsent = new Set(type.reportedAbsent);
  const added: string[] = [];
  const removed: string[] = [];
  for (const name of subscribe) {
    if (name === wildcardName) continue;
    reportedAbsent.delete(name); // asked afresh: say again if it does not exist
    if (!names.has(name)) {
      names.add(name);
      added.push(name);
    }
  }
  for (const name of unsubscribe) {
    if (name !== wildcardName && names.delete(name)) {
      removed.push(name);
      reportedAbsent.delete(name);
    }
  }

  const next: DeltaServerTypeState = { ...type, wildcard, resourceNames: names, reportedAbsent };
  // The client forgets what it no longer subscribes to.
  const clientVersions = new Map([...type.clientVersions].filter(([name]) => coversName(next, name)));
  const changed = first || added.length > 0 || removed.length > 0 || (wildcard === 'no') !== (type.wildcard === 'no');
  return { type: { ...next, clientVersions }, added, removed, changed };
}

/** Reads one DeltaDiscoveryRequest: its ACK or NACK (or stale nonce), then its subscription changes. */
export function onDeltaServerRequest(
  state: DeltaServerStreamState,
  request: DeltaDiscoveryRequest,
): { state: DeltaServerStreamState; decisions: DeltaServerDecision[] } {
  const typeUrl = request.type_url ?? '';
  if (typeUrl === '') return { state, decisions: [{ kind: 'invalid', reason: 'DeltaDiscoveryRequest.type_url is empty' }] };
  const current = state.types.get(typeUrl);
  const first = current === undefined;
  let type = current ?? emptyType();
  const decisions: DeltaServerDecision[] = [];

  const reply = readReply(type, typeUrl, request);
  type = reply.type;
  if (reply.decision) decisions.push(reply.decision);

  const knownVersions = first ? { ...(request.initial_resource_versions ?? {}) } : {};
  if (first) {
    const initial = Object.entries(knownVersions);
    type = { ...type, clientVersions: new Map(initial), resumed: initial.length > 0 };
  }
  const subscription = readSubscription(type, first, typeUrl, request);
  type = subscription.type;
  if (subscription.changed) {
    decisions.push({
      kind: 'subscribe',
      typeUrl,
      subscription: {
        wildcard: type.wildcard !== 'no',
        resourceNames: [...type.resourceNames],
        added: subscription.added,
        removed: subscription.removed,
        knownVersions,
      },
    });
  }
  return { state: withType(state, typeUrl, type), decisions };
}

/** Whether a subscribed type still owes its first answer (a fresh subscription waits for one). */
export function owesAnswer(type: DeltaServerTypeState | undefined): boolean {
  return type !== undefined && !type.answered && !type.resumed;
}

/**
 * What to send so that the client holds exactly the desired resources its subscription covers:
 * those whose version differs from what it holds, and the removal of those it holds but should
 * not. A name asked for by name that does not exist is reported removed once. `owed` is true
 * when the client still waits for its first answer, so even an empty response must go out.
 */
export function deltaToSend(
  type: DeltaServerTypeState | undefined,
  desired: ReadonlyMap<string, string>,
): DeltaChanges & { owed: boolean } {
  const current = type ?? emptyType();
  const updated = [...desired].filter(([name, version]) => coversName(current, name) && current.clientVersions.get(name) !== version);
  const removed = [...current.clientVersions.keys()].filter((name) => !desired.has(name));
  for (const name of current.resourceNames) {
    if (!desired.has(name) && !current.clientVersions.has(name) && !current.reportedAbsent.has(name)) removed.push(name);
  }
  return { updated, removed, owed: owesAnswer(type) };
}

/** Records a response sent on the stream: the client will hold these versions unless it NACKs. */
export function onDeltaServerResponse(
  state: DeltaServerStreamState,
  typeUrl: string,
  response: { nonce: string; version: string; changes: DeltaChanges },
): DeltaServerStreamState {
  const current = state.types.get(typeUrl) ?? emptyType();
  const clientVersions = new Map(current.clientVersions);
  const reportedAbsent = new Set(current.reportedAbsent);
  for (const [name, version] of response.changes.updated) {
    clientVersions.set(name, version);
    reportedAbsent.delete(name);
  }
  for (const name of response.changes.removed) {
    clientVersions.delete(name);
    if (current.resourceNames.has(name)) reportedAbsent.add(name);
  }
  const names = [...response.changes.updated.map(([name]) => name), ...response.changes.removed];
  const pending = new Map([...current.pending].slice(-(maxPending - 1)));
  pending.set(response.nonce, { version: response.version, names });
  return withType(state, typeUrl, {
    ...current,
    clientVersions,
    reportedAbsent,
    pending,
    answered: true,
    sentNonce: response.nonce,
    sentVersion: response.version,
  });
}

/** One type of a stream as plain JSON (for proxy-status and /debug/syncz). */
export interface DeltaTypeSummary {
  wildcard: boolean;
  resourceNames: string[];
  /** What the client holds as far as the server knows ("" when unknown after a NACK). */
  clientVersions: Record<string, string>;
  sentNonce: string;
  sentVersion: string;
  ackedVersion: string;
  /** Responses sent but not yet ACKed or NACKed. */
  unanswered: number;
}

export function summarizeDeltaStream(state: DeltaServerStreamState): Record<string, DeltaTypeSummary> {
  return Object.fromEntries(
    [...state.types].map(([typeUrl, type]) => [
      typeUrl,
      {
        wildcard: type.wildcard !== 'no',
        resourceNames: [...type.resourceNames].sort(),
        clientVersions: Object.fromEntries([...type.clientVersions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
        sentNonce: type.sentNonce,
        sentVersion: type.sentVersion,
        ackedVersion: type.ackedVersion,
        unanswered: type.pending.size,
      },
    ]),
  );
}
