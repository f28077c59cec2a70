import { describe, expect, it } from 'vitest';
import { readPodIdentity } from './pod-identity.ts';

describe('readPodIdentity', () => {
  it('reads Istio’s variables', () => {
    const identity = readPodIdentity({
      POD_NAME: 'reviews-v1-abc',
      POD_NAMESPACE: 'bookinfo',
      INSTANCE_IP: '10.244.0.5',
      SERVICE_ACCOUNT: 'bookinfo-reviews',
      ISTIO_META_WORKLOAD_NAME: 'reviews-v1',
      ISTIO_METAJSON_LABELS: '{"app":"reviews","version":"v1"}',
      PATH: '/bin',
    });
    expect(identity).toEqual({
      podName: 'reviews-v1-abc',
      namespace: 'bookinfo',
      instanceIps: ['10.244.0.5'],
      serviceAccount: 'bookinfo-reviews',
      labels: { app: 'reviews', version: 'v1' },
      meta: { WORKLOAD_NAME: 'reviews-v1' },
      metaJson: { LABELS: { app: 'reviews', version: 'v1' } },
    });
  });

  it('accepts a comma list of instance IPs', () => {
    expect(readPodIdentity({ INSTANCE_IP: '10.0.0.1, fd00::1' }).instanceIps).toEqual(['10.0.0.1', 'fd00::1']);
  });

  it('falls back to the local addresses, then loopback', () => {
    expect(readPodIdentity({}, () => ['192.168.1.9']).instanceIps).toEqual(['192.168.1.9']);
    expect(readPodIdentity({}, () => []).instanceIps).toEqual(['127.0.0.1']);
  });

  it('names the variable holding bad JSON', () => {
    expect(() => readPodIdentity({ ISTIO_METAJSON_LABELS: '{app:' })).toThrow(/ISTIO_METAJSON_LABELS: not valid JSON/);
    expect(() => readPodIdentity({ ISTIO_METAJSON_LABELS: '{"replicas":3}' })).toThrow(/ISTIO_METAJSON_LABELS: must be a JSON object/);
  });
});
