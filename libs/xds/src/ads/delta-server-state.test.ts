import { describe, expect, it } from 'vitest';
import type { DeltaDiscoveryRequest } from '../resources/discovery.ts';
import { TypeUrl } from '../resources/type-url.ts';
import {
  deltaToSend,
  emptyDeltaServerStreamState,
  onDeltaServerRequest,
  onDeltaServerResponse,
  summarizeDeltaStream,
  type DeltaServerStreamState,
} from './delta-server-state.ts';

const cds = TypeUrl.Cluster;
const eds = TypeUrl.ClusterLoadAssignment;

function read(state: DeltaServerStreamState, request: DeltaDiscoveryRequest) {
  return onDeltaServerRequest(state, request);
}

function sent(state: DeltaServerStreamState, typeUrl: string, nonce: string, version: string, updated: [string, string][], removed: string[] = []) {
  return onDeltaServerResponse(state, typeUrl, { nonce, version, changes: { updated, removed } });
}

const desired = (entries: [string, string][]) => new Map(entries);

describe('delta server stream state', () => {
  it('reads an empty first CDS request as the legacy wildcard', () => {
    const { state, decisions } = read(emptyDeltaServerStreamState(), { type_url: cds });
    expect(decisions).toEqual([
      { kind: 'subscribe', typeUrl: cds, subscription: { wildcard: true, resourceNames: [], added: [], removed: [], knownVersions: {} } },
    ]);
    expect(state.types.get(cds)?.wildcard).toBe('legacy');
  });

  it('does not read an empty first EDS request as a wildcard', () => {
    const { state } = read(emptyDeltaServerStreamState(), { type_url: eds });
    expect(state.types.get(eds)?.wildcard).toBe('no');
    expect(deltaToSend(state.types.get(eds), desired([['a', '1']])).updated).toEqual([]);
  });

  it('replaces a legacy wildcard when names are subscribed, and keeps an explicit one', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: cds }).state;
    state = read(state, { type_url: cds, resource_names_subscribe: ['a'] }).state;
    expect(state.types.get(cds)?.wildcard).toBe('no');

    state = read(emptyDeltaServerStreamState(), { type_url: cds, resource_names_subscribe: ['*'] }).state;
    state = read(state, { type_url: cds, resource_names_subscribe: ['a'] }).state;
    expect(state.types.get(cds)?.wildcard).toBe('explicit');
    const { state: off, decisions } = read(state, { type_url: cds, resource_names_unsubscribe: ['*'] });
    expect(off.types.get(cds)?.wildcard).toBe('no');
    expect(decisions).toMatchObject([{ kind: 'subscribe', subscription: { wildcard: false, resourceNames: ['a'] } }]);
  });

  it('tracks names subscribed and unsubscribed, and says what changed', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: eds, resource_names_subscribe: ['a', 'b'] }).state;
    const result = read(state, { type_url: eds, resource_names_subscribe: ['c', 'a'], resource_names_unsubscribe: ['b', 'zz'] });
    expect(result.decisions).toEqual([
      { kind: 'subscribe', typeUrl: eds, subscription: { wildcard: false, resourceNames: ['a', 'c'], added: ['c'], removed: ['b'], knownVersions: {} } },
    ]);
    state = result.state;
    // Asking again for what is already subscribed changes nothing.
    expect(read(state, { type_url: eds, resource_names_subscribe: ['a'] }).decisions).toEqual([]);
  });

  it('sends only resources that differ from what the client holds, and removals', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: cds, resource_names_subscribe: ['*'] }).state;
    const first = deltaToSend(state.types.get(cds), desired([['a', '1'], ['b', '1']]));
    expect(first).toEqual({ updated: [['a', '1'], ['b', '1']], removed: [], owed: true });
    state = sent(state, cds, 'n1', 'v1', first.updated);

    const second = deltaToSend(state.types.get(cds), desired([['a', '2']]));
    expect(second).toEqual({ updated: [['a', '2']], removed: ['b'], owed: false });
    state = sent(state, cds, 'n2', 'v2', second.updated, second.removed);
    expect(deltaToSend(state.types.get(cds), desired([['a', '2']]))).toEqual({ updated: [], removed: [], owed: false });
  });

  it('sends a resuming client only what changed since the versions it holds', () => {
    const { state, decisions } = read(emptyDeltaServerStreamState(), {
      type_url: cds,
      resource_names_subscribe: ['*'],
      initial_resource_versions: { a: '1', b: '1', gone: '1' },
    });
    expect(decisions).toMatchObject([{ kind: 'subscribe', subscription: { wildcard: true, knownVersions: { a: '1', b: '1', gone: '1' } } }]);
    expect(deltaToSend(state.types.get(cds), desired([['a', '1'], ['b', '2']]))).toEqual({ updated: [['b', '2']], removed: ['gone'], owed: false });
    expect(deltaToSend(state.types.get(cds), desired([['a', '1'], ['b', '1'], ['gone', '1']]))).toEqual({ updated: [], removed: [], owed: false });
  });

  it('keeps the versions a client resuming a legacy wildcard declares', () => {
    const { state } = read(emptyDeltaServerStreamState(), { type_url: cds, initial_resource_versions: { a: '1' } });
    expect(state.types.get(cds)?.wildcard).toBe('legacy');
    expect(deltaToSend(state.types.get(cds), desired([['a', '1']]))).toEqual({ updated: [], removed: [], owed: false });
  });

  it('drops declared versions of names the resuming client does not subscribe to', () => {
    const { state } = read(emptyDeltaServerStreamState(), { type_url: eds, resource_names_subscribe: ['a'], initial_resource_versions: { a: '1', b: '1' } });
    expect([...(state.types.get(eds)?.clientVersions ?? [])]).toEqual([['a', '1']]);
  });

  it('reports a name asked for that does not exist once, and again when asked afresh', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: eds, resource_names_subscribe: ['missing'] }).state;
    const first = deltaToSend(state.types.get(eds), desired([]));
    expect(first.removed).toEqual(['missing']);
    state = sent(state, eds, 'n1', 'v1', first.updated, first.removed);
    expect(deltaToSend(state.types.get(eds), desired([])).removed).toEqual([]);
    state = read(state, { type_url: eds, resource_names_unsubscribe: ['missing'] }).state;
    state = read(state, { type_url: eds, resource_names_subscribe: ['missing'] }).state;
    expect(deltaToSend(state.types.get(eds), desired([])).removed).toEqual(['missing']);
  });

  it('forgets what the client holds of names it unsubscribed from', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: eds, resource_names_subscribe: ['a', 'b'] }).state;
    state = sent(state, eds, 'n1', 'v1', [['a', '1'], ['b', '1']]);
    state = read(state, { type_url: eds, response_nonce: 'n1', resource_names_unsubscribe: ['b'] }).state;
    expect([...(state.types.get(eds)?.clientVersions.keys() ?? [])]).toEqual(['a']);
    expect(deltaToSend(state.types.get(eds), desired([['a', '1'], ['b', '1']]))).toEqual({ updated: [], removed: [], owed: false });
  });

  it('reads a reply to a sent nonce as an ACK with that response version', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: cds }).state;
    state = sent(state, cds, 'n1', 'v1', [['a', '1']]);
    const { state: next, decisions } = read(state, { type_url: cds, response_nonce: 'n1' });
    expect(decisions).toEqual([{ kind: 'ack', typeUrl: cds, version: 'v1', nonce: 'n1' }]);
    expect(next.types.get(cds)?.ackedVersion).toBe('v1');
    expect(next.types.get(cds)?.pending.size).toBe(0);
  });

  it('reads error_detail as a NACK and resends the refused names on the next push', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: cds }).state;
    state = sent(state, cds, 'n1', 'v1', [['a', '1'], ['b', '1']]);
    state = read(state, { type_url: cds, response_nonce: 'n1' }).state;
    state = sent(state, cds, 'n2', 'v2', [['a', '2']], ['b']);
    const { state: next, decisions } = read(state, { type_url: cds, response_nonce: 'n2', error_detail: { code: 3, message: 'bad a' } });
    expect(decisions).toEqual([{ kind: 'nack', typeUrl: cds, version: 'v2', nonce: 'n2', error: 'bad a' }]);
    expect(next.types.get(cds)?.ackedVersion).toBe('v1');
    expect(deltaToSend(next.types.get(cds), desired([['a', '2']]))).toEqual({ updated: [['a', '2']], removed: ['b'], owed: false });
  });

  it('calls a reply to an unknown nonce stale but still reads its subscription', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: eds, resource_names_subscribe: ['a'] }).state;
    state = sent(state, eds, 'n1', 'v1', [['a', '1']]);
    const { decisions } = read(state, { type_url: eds, response_nonce: 'old', resource_names_subscribe: ['b'] });
    expect(decisions).toEqual([
      { kind: 'stale', typeUrl: eds, nonce: 'old' },
      { kind: 'subscribe', typeUrl: eds, subscription: { wildcard: false, resourceNames: ['a', 'b'], added: ['b'], removed: [], knownVersions: {} } },
    ]);
  });

  it('refuses a request without a type URL', () => {
    expect(read(emptyDeltaServerStreamState(), {}).decisions).toEqual([{ kind: 'invalid', reason: 'DeltaDiscoveryRequest.type_url is empty' }]);
  });

  it('keeps a bounded number of unanswered responses', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: cds }).state;
    for (let i = 0; i < 100; i++) state = sent(state, cds, `n${i}`, `v${i}`, [['a', String(i)]]);
    expect(state.types.get(cds)?.pending.size).toBe(64);
    expect(read(state, { type_url: cds, response_nonce: 'n99' }).decisions[0]?.kind).toBe('ack');
    expect(read(state, { type_url: cds, response_nonce: 'n0' }).decisions[0]?.kind).toBe('stale');
  });

  it('summarizes a stream as plain JSON', () => {
    let state = read(emptyDeltaServerStreamState(), { type_url: eds, resource_names_subscribe: ['b', 'a'] }).state;
    state = sent(state, eds, 'n1', 'v1', [['b', '2'], ['a', '1']]);
    expect(summarizeDeltaStream(state)).toEqual({
      [eds]: { wildcard: false, resourceNames: ['a', 'b'], clientVersions: { a: '1', b: '2' }, sentNonce: 'n1', sentVersion: 'v1', ackedVersion: '', unanswered: 1 },
    });
  });
});
