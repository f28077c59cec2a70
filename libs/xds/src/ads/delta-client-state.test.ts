import { describe, expect, it } from 'vitest';
import { TypeUrl } from '../resources/type-url.ts';
import {
  deltaClientAccept,
  deltaClientApply,
  deltaClientReply,
  deltaClientResume,
  deltaClientSubscribe,
  deltaClientUnsubscribe,
  emptyDeltaClientStreamState,
} from './delta-client-state.ts';

const cds = TypeUrl.Cluster;
const eds = TypeUrl.ClusterLoadAssignment;

describe('delta client stream state', () => {
  it('asks for all of CDS with "*" when no names are given', () => {
    const { request } = deltaClientSubscribe(emptyDeltaClientStreamState(), cds, []);
    expect(request).toEqual({ type_url: cds, resource_names_subscribe: ['*'] });
  });

  it('sends only the difference when the names change, and nothing when they do not', () => {
    let { state, request } = deltaClientSubscribe(emptyDeltaClientStreamState(), eds, ['a', 'b']);
    expect(request).toEqual({ type_url: eds, resource_names_subscribe: ['a', 'b'] });
    ({ state, request } = deltaClientSubscribe(state, eds, ['b', 'c']));
    expect(request).toEqual({ type_url: eds, resource_names_subscribe: ['c'], resource_names_unsubscribe: ['a'] });
    expect(deltaClientSubscribe(state, eds, ['c', 'b']).request).toBeNull();
    expect(deltaClientUnsubscribe(state, eds, ['c']).request).toEqual({ type_url: eds, resource_names_unsubscribe: ['c'] });
    expect(deltaClientSubscribe(emptyDeltaClientStreamState(), eds, []).request).toBeNull();
  });

  it('applies updates and removals over the resources it holds', () => {
    let { state } = deltaClientSubscribe(emptyDeltaClientStreamState(), cds, []);
    const first = deltaClientApply(state, cds, {
      resources: [
        { name: 'a', version: '1', resource: { name: 'a' } },
        { name: 'b', version: '1', resource: { name: 'b' } },
      ],
      removed: [],
    });
    state = deltaClientAccept(state, cds, first, 'v1');
    const second = deltaClientApply(state, cds, { resources: [{ name: 'a', version: '2', resource: { name: 'a', x: 1 } }], removed: ['b', 'never-held'] });
    expect([...second]).toEqual([['a', { version: '2', resource: { name: 'a', x: 1 } }]]);
    // Nothing is kept until accepted.
    expect(state.types.get(cds)?.resources.size).toBe(2);
    expect(state.types.get(cds)?.systemVersion).toBe('v1');
  });

  it('drops the resources of names it no longer asks for', () => {
    let { state } = deltaClientSubscribe(emptyDeltaClientStreamState(), eds, ['a', 'b']);
    state = deltaClientAccept(
      state,
      eds,
      deltaClientApply(state, eds, {
        resources: [
          { name: 'a', version: '1', resource: {} },
          { name: 'b', version: '1', resource: {} },
        ],
        removed: [],
      }),
      'v1',
    );
    state = deltaClientUnsubscribe(state, eds, ['a']).state;
    expect([...(state.types.get(eds)?.resources.keys() ?? [])]).toEqual(['b']);
  });

  it('does not keep an accepted resource whose name was unsubscribed meanwhile', () => {
    let { state } = deltaClientSubscribe(emptyDeltaClientStreamState(), eds, ['a', 'b']);
    const next = deltaClientApply(state, eds, {
      resources: [
        { name: 'a', version: '1', resource: {} },
        { name: 'b', version: '1', resource: {} },
      ],
      removed: [],
    });
    state = deltaClientUnsubscribe(state, eds, ['a']).state;
    state = deltaClientAccept(state, eds, next, 'v1');
    expect([...(state.types.get(eds)?.resources.keys() ?? [])]).toEqual(['b']);
  });

  it('ACKs with the nonce and NACKs with error_detail', () => {
    expect(deltaClientReply(cds, 'n1')).toEqual({ type_url: cds, response_nonce: 'n1' });
    expect(deltaClientReply(cds, 'n2', 'bad')).toEqual({ type_url: cds, response_nonce: 'n2', error_detail: { code: 3, message: 'bad' } });
  });

  it('resumes with every subscription and the versions it holds', () => {
    let { state } = deltaClientSubscribe(emptyDeltaClientStreamState(), cds, []);
    state = deltaClientAccept(state, cds, deltaClientApply(state, cds, { resources: [{ name: 'a', version: '7', resource: {} }], removed: [] }), 'v1');
    state = deltaClientSubscribe(state, eds, ['x']).state;
    state = deltaClientSubscribe(state, TypeUrl.RouteConfiguration, []).state;
    expect(deltaClientResume(state)).toEqual([
      { type_url: cds, resource_names_subscribe: ['*'], initial_resource_versions: { a: '7' } },
      { type_url: eds, resource_names_subscribe: ['x'] },
    ]);
  });
});
