import { describe, expect, it } from 'vitest';
import { parseProxyNode } from './proxy.ts';

const node = {
  id: 'sidecar~10.244.0.7~reviews-v1-abc.default~default.svc.cluster.local',
  cluster: 'reviews.default',
  metadata: { NAME: 'reviews-v1-abc', NAMESPACE: 'default', INSTANCE_IPS: '10.244.0.7,fd00::7', LABELS: { app: 'reviews', version: 'v1' }, INTERCEPTION_MODE: 'NONE', SERVICE_ACCOUNT: 'bookinfo-reviews' },
};

describe('parseProxyNode', () => {
  it('reads the identity from the node id and metadata', () => {
    expect(parseProxyNode(node)).toEqual({
      id: node.id,
      type: 'sidecar',
      ipAddresses: ['10.244.0.7', 'fd00::7'],
      podName: 'reviews-v1-abc',
      namespace: 'default',
      labels: { app: 'reviews', version: 'v1' },
      serviceAccount: 'bookinfo-reviews',
      interceptionMode: 'NONE',
      istioVersion: undefined,
      cluster: 'reviews.default',
    });
  });

  it('falls back to the node id and defaults to REDIRECT', () => {
    const proxy = parseProxyNode({ id: 'sidecar~10.0.0.1~ratings-1.shop~shop.svc.cluster.local' });
    expect(proxy).toMatchObject({ podName: 'ratings-1', namespace: 'shop', ipAddresses: ['10.0.0.1'], interceptionMode: 'REDIRECT', labels: {} });
  });

  it.each([
    [{}, 'node.id: missing'],
    [{ id: 'router~1.2.3.4' }, 'node.id: expected TYPE~IP~POD.NAMESPACE~DOMAIN'],
    [{ id: 'sidecar~1.2.3.4~pod~x' }, 'no namespace'],
    [{ ...node, metadata: { ...node.metadata, INTERCEPTION_MODE: 'TPROXY' } }, 'node.metadata.INTERCEPTION_MODE: must be REDIRECT or NONE, got "TPROXY"'],
    [{ ...node, metadata: { ...node.metadata, LABELS: { app: 1 } } }, 'node.metadata.LABELS: must be an object of strings'],
    [{ ...node, metadata: { ...node.metadata, NAMESPACE: 3 } }, 'node.metadata.NAMESPACE: must be a string, got 3'],
  ])('rejects a bad node %#', (bad, message) => {
    expect(() => parseProxyNode(bad)).toThrow(message);
  });
});
