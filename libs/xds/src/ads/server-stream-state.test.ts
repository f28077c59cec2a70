import { describe, expect, it } from 'vitest';
import { TypeUrl } from '../resources/type-url.ts';
import { emptyServerStreamState, onServerRequest, onServerResponse, type ServerStreamState } from './server-stream-state.ts';

const cds = TypeUrl.Cluster;
const eds = TypeUrl.ClusterLoadAssignment;

function afterPush(state: ServerStreamState, typeUrl: string, version: string, nonce: string): ServerStreamState {
  return onServerResponse(state, typeUrl, version, nonce);
}

describe('server stream state', () => {
  it('reads the first request of a type as a subscription', () => {
    const { decisions, state } = onServerRequest(emptyServerStreamState(), { type_url: cds, resource_names: [] });
    expect(decisions).toEqual([{ kind: 'subscribe', typeUrl: cds, resourceNames: [], knownVersion: '' }]);
    expect(state.types[cds]?.subscribed).toBe(true);
  });

  it('passes on the version a resuming client already has', () => {
    const { decisions } = onServerRequest(emptyServerStreamState(), { type_url: eds, resource_names: ['a'], version_info: '7' });
    expect(decisions).toEqual([{ kind: 'subscribe', typeUrl: eds, resourceNames: ['a'], knownVersion: '7' }]);
  });

  it('reads an echo of the last nonce without error as an ACK', () => {
    let state = onServerRequest(emptyServerStreamState(), { type_url: cds }).state;
    state = afterPush(state, cds, 'v1', 'n1');
    const result = onServerRequest(state, { type_url: cds, version_info: 'v1', response_nonce: 'n1' });
    expect(result.decisions).toEqual([{ kind: 'ack', typeUrl: cds, version: 'v1', nonce: 'n1' }]);
    expect(result.state.types[cds]?.ackedVersion).toBe('v1');
  });

  it('reads error_detail as a NACK and keeps the accepted version', () => {
    let state = onServerRequest(emptyServerStreamState(), { type_url: cds }).state;
    state = afterPush(state, cds, 'v1', 'n1');
    state = onServerRequest(state, { type_url: cds, version_info: 'v1', response_nonce: 'n1' }).state;
    state = afterPush(state, cds, 'v2', 'n2');
    const result = onServerRequest(state, {
      type_url: cds,
      version_info: 'v1',
      response_nonce: 'n2',
      error_detail: { code: 3, message: 'bad cluster' },
    });
    expect(result.decisions).toEqual([{ kind: 'nack', typeUrl: cds, version: 'v1', nonce: 'n2', error: 'bad cluster' }]);
    expect(result.state.types[cds]?.ackedVersion).toBe('v1');
  });

  it('ignores a reply to an older response', () => {
    let state = onServerRequest(emptyServerStreamState(), { type_url: eds, resource_names: ['a'] }).state;
    state = afterPush(afterPush(state, eds, 'v1', 'n1'), eds, 'v2', 'n2');
    const result = onServerRequest(state, { type_url: eds, resource_names: ['a', 'b'], version_info: 'v1', response_nonce: 'n1' });
    expect(result.decisions).toEqual([{ kind: 'stale', typeUrl: eds, nonce: 'n1' }]);
    expect(result.state).toBe(state);
  });

  it('reads changed resource names with the current nonce as an ACK and a new subscription', () => {
    let state = onServerRequest(emptyServerStreamState(), { type_url: eds, resource_names: ['a'] }).state;
    state = afterPush(state, eds, 'v1', 'n1');
    const result = onServerRequest(state, { type_url: eds, resource_names: ['b', 'a'], version_info: 'v1', response_nonce: 'n1' });
    expect(result.decisions).toEqual([
      { kind: 'ack', typeUrl: eds, version: 'v1', nonce: 'n1' },
      { kind: 'subscribe', typeUrl: eds, resourceNames: ['b', 'a'], knownVersion: 'v1' },
    ]);
  });

  it('does not treat the same names in another order as a change', () => {
    let state = onServerRequest(emptyServerStreamState(), { type_url: eds, resource_names: ['a', 'b'] }).state;
    state = afterPush(state, eds, 'v1', 'n1');
    const result = onServerRequest(state, { type_url: eds, resource_names: ['b', 'a'], version_info: 'v1', response_nonce: 'n1' });
    expect(result.decisions.map((d) => d.kind)).toEqual(['ack']);
  });

  it('keeps types apart', () => {
    let state = onServerRequest(emptyServerStreamState(), { type_url: cds }).state;
    state = afterPush(state, cds, 'v1', 'n1');
    const result = onServerRequest(state, { type_url: eds, resource_names: ['x'], response_nonce: 'n1' });
    expect(result.decisions).toEqual([{ kind: 'subscribe', typeUrl: eds, resourceNames: ['x'], knownVersion: '' }]);
  });

  it('rejects a request without a type URL', () => {
    expect(onServerRequest(emptyServerStreamState(), {}).decisions).toEqual([
      { kind: 'invalid', reason: 'DiscoveryRequest.type_url is empty' },
    ]);
  });

  it('reads the answer to an unasked push as an ACK and a subscription', () => {
    const state = afterPush(emptyServerStreamState(), cds, 'v1', 'n1');
    const result = onServerRequest(state, { type_url: cds, version_info: 'v1', response_nonce: 'n1' });
    expect(result.decisions).toEqual([
      { kind: 'ack', typeUrl: cds, version: 'v1', nonce: 'n1' },
      { kind: 'subscribe', typeUrl: cds, resourceNames: [], knownVersion: 'v1' },
    ]);
  });

  it('ignores a repeated first request with the same names', () => {
    const state = onServerRequest(emptyServerStreamState(), { type_url: cds }).state;
    expect(onServerRequest(state, { type_url: cds }).decisions).toEqual([]);
  });
});
