import { describe, expect, it } from 'vitest';
import { decode } from '../json/codec.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { encodePushed } from './pushed-resource.ts';

const cluster = (timeout: string) => ({ '@type': TypeUrl.Cluster, name: 'outbound|9080||reviews.default.svc.cluster.local', connect_timeout: timeout });

describe('encodePushed', () => {
  it('encodes a resource object once and gives every later push the same bytes', () => {
    const resource = cluster('10s');
    const first = encodePushed(TypeUrl.Cluster, resource, 0, 'c');
    const again = encodePushed(TypeUrl.Cluster, resource, 0, 'c');
    expect(again).toBe(first);
    expect(again.any.value).toBe(first.any.value);
    expect(decode(TypeUrl.Cluster, first.any.value)).toMatchObject({ name: resource.name, connect_timeout: '10s' });
  });

  it('encodes a new object afresh, and equal content gets an equal version', () => {
    const before = encodePushed(TypeUrl.Cluster, cluster('10s'), 0, 'c');
    const changed = encodePushed(TypeUrl.Cluster, cluster('5s'), 0, 'c');
    const same = encodePushed(TypeUrl.Cluster, cluster('10s'), 0, 'c');
    expect(decode(TypeUrl.Cluster, changed.any.value)).toMatchObject({ connect_timeout: '5s' });
    expect(changed.version).not.toBe(before.version);
    expect(same.any.value).not.toBe(before.any.value);
    expect(same.version).toBe(before.version);
  });

  it('tags a resource without "@type" and refuses one of another type, naming it', () => {
    const untagged = { name: 'c', connect_timeout: '1s' };
    expect(encodePushed(TypeUrl.Cluster, untagged, 0, 'c').any.type_url).toBe(TypeUrl.Cluster);
    const resource = cluster('1s');
    encodePushed(TypeUrl.Cluster, resource, 0, 'c');
    expect(() => encodePushed(TypeUrl.Listener, resource, 3, 'c')).toThrow(`push ${TypeUrl.Listener}: resources[3] has @type ${TypeUrl.Cluster}`);
  });

  it('names the resource and the field when it does not encode', () => {
    expect(() => encodePushed(TypeUrl.Cluster, { ...cluster('1s'), connect_timeout: 'soon' }, 0, 'bad-cluster')).toThrow(/resource "bad-cluster": .*connect_timeout/);
  });
});
