import { describe, expect, it } from 'vitest';
import { loadDocuments } from './yaml-loader.ts';

const sidecar = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: default, namespace: bookinfo }
spec:
  egress:
  - hosts: ["./*", "istio-system/*", "*/ratings.default.svc.cluster.local"]
  - port: { number: 27017, protocol: TCP, name: mongo }
    hosts: ["data/*"]
  outboundTrafficPolicy: { mode: REGISTRY_ONLY }
`;

function errorOf(text: string): string | undefined {
  return loadDocuments(text, 'sidecar.yaml').errors[0]?.message;
}

describe('Sidecar validation', () => {
  it('accepts egress hosts by namespace and an outbound traffic policy', () => {
    expect(errorOf(sidecar)).toBeUndefined();
    expect(loadDocuments(sidecar, 'sidecar.yaml').objects[0].kind).toBe('Sidecar');
  });

  it.each([
    ['a host without namespace', sidecar.replace('"./*", ', '"reviews", '), 'spec.egress[0].hosts[0]: must be of the form namespace/host'],
    ['a bad namespace', sidecar.replace('"./*"', '"Bad_NS/*"'), 'spec.egress[0].hosts[0]: the namespace before "/" must be'],
    ['egress without hosts', sidecar.replace('hosts: ["data/*"]', 'hosts: []'), 'spec.egress[1].hosts: required'],
    ['two catch-all egress listeners', sidecar.replace('  - port: { number: 27017, protocol: TCP, name: mongo }\n', '  - '), 'spec.egress: only one egress listener may leave out port'],
    ['an unknown mode', sidecar.replace('REGISTRY_ONLY', 'DENY'), 'spec.outboundTrafficPolicy.mode'],
    ['an empty spec', sidecar.replace(/spec:[\s\S]*/, 'spec: {}\n'), 'spec: empty'],
    ['an empty workloadSelector', sidecar.replace('spec:\n', 'spec:\n  workloadSelector: { labels: {} }\n'), 'spec.workloadSelector.labels: required'],
  ])('rejects %s', (_what, text, expected) => {
    expect(errorOf(text)).toContain(`Sidecar bookinfo/default: ${expected}`);
  });
});
