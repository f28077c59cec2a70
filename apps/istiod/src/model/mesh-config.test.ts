import type { KubeObject } from '@mizzen/config';
import { describe, expect, it } from 'vitest';
import { defaultMeshSettings, meshSettings } from './mesh-config.ts';

function configMap(mesh: unknown, namespace = 'istio-system'): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace }, data: { mesh } };
}

describe('mesh settings from the istio ConfigMap', () => {
  it("are Istio's defaults without a ConfigMap, or with one elsewhere", () => {
    const warnings: string[] = [];
    expect(meshSettings([], warnings)).toEqual({
      outboundTrafficPolicy: 'ALLOW_ANY',
      connectTimeout: '10s',
      enableAutoMtls: true,
      trustDomain: 'cluster.local',
      rootNamespace: 'istio-system',
    });
    expect(meshSettings([configMap('connectTimeout: 1s', 'default')], warnings)).toBe(defaultMeshSettings);
    expect(warnings).toEqual([]);
  });

  it('reads every setting the mesh config gives', () => {
    const warnings: string[] = [];
    const mesh = [
      'outboundTrafficPolicy: { mode: REGISTRY_ONLY }',
      'defaultHttpRetryPolicy: { attempts: 4, retryOn: gateway-error }',
      'connectTimeout: 2s',
      'tcpKeepalive: { time: 30s }',
      'enableAutoMtls: false',
      'trustDomain: corp.example',
      'rootNamespace: mesh-root',
    ].join('\n');
    expect(meshSettings([configMap(mesh)], warnings)).toEqual({
      outboundTrafficPolicy: 'REGISTRY_ONLY',
      defaultHttpRetryPolicy: { attempts: 4, retryOn: 'gateway-error' },
      connectTimeout: '2s',
      tcpKeepalive: { time: '30s' },
      enableAutoMtls: false,
      trustDomain: 'corp.example',
      rootNamespace: 'mesh-root',
    });
    expect(warnings).toEqual([]);
  });

  it('keeps the default of a bad field, says which and why, and applies the rest', () => {
    const warnings: string[] = [];
    const settings = meshSettings([configMap('connectTimeout: -1s\noutboundTrafficPolicy: { mode: REGISTRY_ONLY }')], warnings);
    expect(settings.connectTimeout).toBe('10s');
    expect(settings.outboundTrafficPolicy).toBe('REGISTRY_ONLY');
    expect(warnings).toEqual(['ConfigMap istio-system/istio: data.mesh.connectTimeout: must be a duration such as "1.5s", "100ms" or "1m", got "-1s"; the default is used']);
  });

  it('falls back to every default when the mesh config cannot be read', () => {
    for (const [mesh, reason] of [
      ['connectTimeout: [1s', 'data.mesh: not valid YAML'],
      [42, 'data.mesh: must be a string holding the mesh config in YAML'],
      ['- connectTimeout: 1s', 'data.mesh: must be a mapping of MeshConfig fields, got a list'],
    ] as const) {
      const warnings: string[] = [];
      expect(meshSettings([configMap(mesh)], warnings)).toEqual(defaultMeshSettings);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`ConfigMap istio-system/istio: ${reason}`);
    }
  });
});
