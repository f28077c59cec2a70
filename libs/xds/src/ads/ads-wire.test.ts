import { describe, expect, it } from 'vitest';
import { decode } from '../json/codec.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { deserializeRequest, serializeRequest } from './ads-wire.ts';

describe('deserializeRequest', () => {
  it('reads an ACK with its names as the full JSON mapping does', () => {
    const ack = { version_info: 'v1', resource_names: ['b', 'a'], type_url: TypeUrl.ClusterLoadAssignment, response_nonce: 'n1' };
    const bytes = serializeRequest(ack);
    expect(deserializeRequest(bytes)).toEqual(decode(TypeUrl.DiscoveryRequest, bytes));
    expect(deserializeRequest(bytes)).toEqual(ack);
  });

  it('reads a first request and a NACK through the full mapping, node metadata and error included', () => {
    const first = { node: { id: 'sidecar~10.0.0.1~p.ns~ns.svc.cluster.local', metadata: { LABELS: { app: 'p' } } }, type_url: TypeUrl.Cluster };
    expect(deserializeRequest(serializeRequest(first))).toEqual(first);
    const nack = { type_url: TypeUrl.Cluster, response_nonce: 'n2', error_detail: { code: 3, message: 'bad cluster' } };
    expect(deserializeRequest(serializeRequest(nack))).toEqual(nack);
  });

  it('refuses bytes that are not a DiscoveryRequest, naming the message', () => {
    expect(() => deserializeRequest(Buffer.from([0x0a, 0xff, 0xff]))).toThrow(/DiscoveryRequest: cannot decode/);
  });
});
