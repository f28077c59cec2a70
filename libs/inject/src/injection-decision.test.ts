import type { Pod } from '@mizzen/config';
import { describe, expect, it } from 'vitest';
import { injectionDecision } from './injection-decision.ts';

function pod(overrides: { labels?: Record<string, string>; annotations?: Record<string, string>; namespace?: string; hostNetwork?: boolean } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: overrides.namespace ?? 'shop', labels: overrides.labels, annotations: overrides.annotations },
    spec: { containers: [{ name: 'web' }], ...(overrides.hostNetwork ? { hostNetwork: true } : {}) } as Pod['spec'],
  };
}

const enabled = { 'istio-injection': 'enabled' };

describe('injectionDecision', () => {
  it('injects a pod of a namespace labelled istio-injection=enabled', () => {
    expect(injectionDecision(pod(), enabled)).toEqual({ inject: true, reason: 'namespace shop has label istio-injection=enabled' });
  });

  it('leaves out a pod that says sidecar.istio.io/inject: "false", by label or annotation', () => {
    expect(injectionDecision(pod({ annotations: { 'sidecar.istio.io/inject': 'false' } }), enabled)).toEqual({
      inject: false,
      reason: 'the pod\'s annotation sidecar.istio.io/inject is "false"',
    });
    expect(injectionDecision(pod({ labels: { 'sidecar.istio.io/inject': 'false' } }), enabled).inject).toBe(false);
    // The label wins over the annotation.
    expect(injectionDecision(pod({ labels: { 'sidecar.istio.io/inject': 'true' }, annotations: { 'sidecar.istio.io/inject': 'false' } }), enabled).inject).toBe(true);
  });

  it('injects a pod that asks for it in a namespace that says nothing, but not in a disabled one', () => {
    expect(injectionDecision(pod({ labels: { 'sidecar.istio.io/inject': 'true' } }), {})).toEqual({ inject: true, reason: 'the pod\'s label sidecar.istio.io/inject is "true"' });
    expect(injectionDecision(pod({ labels: { 'sidecar.istio.io/inject': 'true' } }), { 'istio-injection': 'disabled' })).toEqual({
      inject: false,
      reason: 'namespace shop has label istio-injection=disabled',
    });
  });

  it('follows revisions on the namespace and on the pod', () => {
    expect(injectionDecision(pod(), { 'istio.io/rev': 'canary' }, 'canary').inject).toBe(true);
    expect(injectionDecision(pod(), { 'istio.io/rev': 'canary' })).toEqual({
      inject: false,
      reason: 'namespace shop has label istio.io/rev=canary, another revision than "default"',
    });
    expect(injectionDecision(pod({ labels: { 'istio.io/rev': 'default' } }), {}).inject).toBe(true);
    expect(injectionDecision(pod(), enabled, 'canary').inject).toBe(false);
  });

  it('says why nothing asked for a sidecar', () => {
    expect(injectionDecision(pod(), {}).reason).toContain('neither the pod nor namespace shop asks for a sidecar');
  });

  it('never injects the host network, system namespaces, or a pod injected already', () => {
    expect(injectionDecision(pod({ hostNetwork: true }), enabled)).toEqual({ inject: false, reason: 'the pod uses the host network (spec.hostNetwork)' });
    expect(injectionDecision(pod({ namespace: 'kube-system' }), enabled)).toEqual({ inject: false, reason: 'namespace kube-system is never injected' });
    expect(injectionDecision(pod({ annotations: { 'sidecar.istio.io/status': '{}' } }), enabled).reason).toBe('already injected (annotation sidecar.istio.io/status is set)');
  });
});
