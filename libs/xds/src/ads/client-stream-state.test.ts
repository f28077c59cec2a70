import { describe, expect, it } from 'vitest';
import { TypeUrl } from '../resources/type-url.ts';
import {
  clientAcceptedOnOldStream,
  clientRespond,
  clientResume,
  clientSubscribe,
  emptyClientStreamState,
} from './client-stream-state.ts';

const lds = TypeUrl.Listener;
const rds = TypeUrl.RouteConfiguration;

describe('client stream state', () => {
  it('subscribes with no version and no nonce at first', () => {
    const { request } = clientSubscribe(emptyClientStreamState(), lds, []);
    expect(request).toEqual({ type_url: lds, resource_names: [], version_info: '' });
  });

  it('ACKs with the new version and nonce', () => {
    const state = clientSubscribe(emptyClientStreamState(), lds, []).state;
    const { request, state: next } = clientRespond(state, { type_url: lds, version_info: 'v1', nonce: 'n1' });
    expect(request).toEqual({ type_url: lds, resource_names: [], version_info: 'v1', response_nonce: 'n1' });
    expect(next.types[lds]?.ackedVersion).toBe('v1');
  });

  it('NACKs with the last good version and the reason', () => {
    let state = clientSubscribe(emptyClientStreamState(), rds, ['80']).state;
    state = clientRespond(state, { type_url: rds, version_info: 'v1', nonce: 'n1' }).state;
    const { request, state: next } = clientRespond(state, { type_url: rds, version_info: 'v2', nonce: 'n2' }, 'no virtual hosts');
    expect(request).toEqual({
      type_url: rds,
      resource_names: ['80'],
      version_info: 'v1',
      response_nonce: 'n2',
      error_detail: { code: 3, message: 'no virtual hosts' },
    });
    expect(next.types[rds]?.ackedVersion).toBe('v1');
  });

  it('echoes the latest nonce when the names change', () => {
    let state = clientSubscribe(emptyClientStreamState(), rds, ['80']).state;
    state = clientRespond(state, { type_url: rds, version_info: 'v1', nonce: 'n1' }).state;
    expect(clientSubscribe(state, rds, ['80', '9080']).request).toEqual({
      type_url: rds,
      resource_names: ['80', '9080'],
      version_info: 'v1',
      response_nonce: 'n1',
    });
  });

  it('resumes every subscription on a new stream with its accepted version and no nonce', () => {
    let state = clientSubscribe(emptyClientStreamState(), lds, []).state;
    state = clientSubscribe(state, rds, ['80']).state;
    state = clientRespond(state, { type_url: lds, version_info: 'v3', nonce: 'n9' }).state;
    const { requests, state: next } = clientResume(state);
    expect(requests).toEqual([
      { type_url: lds, resource_names: [], version_info: 'v3' },
      { type_url: rds, resource_names: ['80'], version_info: '' },
    ]);
    expect(next.types[lds]?.nonce).toBe('');
  });

  it('sends nothing when the names have not changed', () => {
    let state = clientSubscribe(emptyClientStreamState(), rds, ['80', '9080']).state;
    state = clientRespond(state, { type_url: rds, version_info: 'v1', nonce: 'n1' }).state;
    const again = clientSubscribe(state, rds, ['9080', '80']);
    expect(again.request).toBeNull();
    expect(again.state).toBe(state);
  });

  it('keeps the version but not the nonce of a response applied after its stream was lost', () => {
    let state = clientSubscribe(emptyClientStreamState(), lds, []).state;
    state = clientResume(state).state;
    state = clientAcceptedOnOldStream(state, lds, 'v5');
    expect(state.types[lds]).toEqual({ subscribed: true, resourceNames: [], ackedVersion: 'v5', nonce: '' });
  });

  it('ACKs a type the server sent unasked, and still subscribes to it when asked', () => {
    let state = clientRespond(emptyClientStreamState(), { type_url: lds, version_info: 'v1', nonce: 'n1' }).state;
    expect(clientResume(state).requests).toEqual([]);
    const asked = clientSubscribe(state, lds, []);
    expect(asked.request).toEqual({ type_url: lds, resource_names: [], version_info: 'v1', response_nonce: 'n1' });
    state = asked.state;
    expect(clientResume(state).requests).toHaveLength(1);
  });
});
