import { describe, expect, it } from 'vitest';
import { defaultInjectionSettings } from './injection-settings.ts';
import { settingsFromMeshConfig } from './mesh-config.ts';

describe('settingsFromMeshConfig', () => {
  it("reads the defaultConfig fields that change a pod, from MeshConfig or the istio ConfigMap", () => {
    const mesh = 'trustDomain: example.org\ndefaultConfig:\n  discoveryAddress: istiod.mesh:15012\n  interceptionMode: TPROXY\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: "true"\n';
    const expected = { ...defaultInjectionSettings(), trustDomain: 'example.org', discoveryAddress: 'istiod.mesh:15012', interceptionMode: 'TPROXY', dnsCapture: true, proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' } };
    expect(settingsFromMeshConfig(mesh, 'mesh.yaml')).toEqual(expected);
    const configMap = `kind: ConfigMap\ndata:\n  mesh: |\n${mesh.replace(/^/gm, '    ')}`;
    expect(settingsFromMeshConfig(configMap, 'cm.yaml')).toEqual(expected);
    expect(settingsFromMeshConfig('', 'empty.yaml')).toEqual(defaultInjectionSettings());
  });

  it('names the file and field that are wrong', () => {
    expect(() => settingsFromMeshConfig('defaultConfig:\n  interceptionMode: MAGIC\n', 'mesh.yaml')).toThrow('mesh.yaml: defaultConfig.interceptionMode: must be one of REDIRECT, TPROXY, NONE');
    expect(() => settingsFromMeshConfig('kind: ConfigMap\ndata: {}\n', 'cm.yaml')).toThrow('cm.yaml: data.mesh: a ConfigMap given as mesh config must hold the mesh config in data.mesh');
    expect(() => settingsFromMeshConfig('[1', 'bad.yaml')).toThrow('bad.yaml: not valid YAML');
  });
});
