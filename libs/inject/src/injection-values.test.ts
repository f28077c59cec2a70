import { describe, expect, it } from 'vitest';
import { defaultInjectionSettings, MIZZEN_VERSION } from './injection-settings.ts';
import { settingsFromInjectionValues } from './injection-values.ts';

describe('settingsFromInjectionValues', () => {
  it('builds the proxy image from hub, tag and image, from values or the injector ConfigMap', () => {
    const values = { global: { hub: 'registry.local/mesh', tag: '1.2.3', proxy: { holdApplicationUntilProxyStarts: true } } };
    const expected = { ...defaultInjectionSettings(), proxyImage: 'registry.local/mesh/proxyv2:1.2.3', holdApplicationUntilProxyStarts: true };
    expect(settingsFromInjectionValues(JSON.stringify(values), 'values.json')).toEqual(expected);
    const configMap = `kind: ConfigMap\ndata:\n  values: '${JSON.stringify(values)}'\n  config: 'policy: enabled'\n`;
    expect(settingsFromInjectionValues(configMap, 'injector.yaml')).toEqual(expected);
    expect(settingsFromInjectionValues('global: {proxy: {image: my/proxy:dev}}', 'v.yaml').proxyImage).toBe('my/proxy:dev');
    expect(settingsFromInjectionValues('global: {tag: 7}', 'v.yaml').proxyImage).toBe('mizzen/proxyv2:7');
    expect(settingsFromInjectionValues('{}', 'v.yaml').proxyImage).toBe(`mizzen/proxyv2:${MIZZEN_VERSION}`);
  });

  it('names the file and field that are wrong', () => {
    expect(() => settingsFromInjectionValues('kind: ConfigMap\ndata: {}\n', 'cm.yaml')).toThrow('cm.yaml: data.values: the injector ConfigMap must hold its values (JSON) in data.values');
    expect(() => settingsFromInjectionValues('global: {proxy: {holdApplicationUntilProxyStarts: "yes"}}', 'v.yaml')).toThrow('v.yaml: global.proxy.holdApplicationUntilProxyStarts: must be true or false');
    expect(() => settingsFromInjectionValues('global: {hub: ""}', 'v.yaml')).toThrow('v.yaml: global.hub: must be a non-empty string');
  });
});
