import { parse } from 'yaml';
import { defaultInjectionSettings, interceptionModes, type InjectionSettings, type InterceptionMode } from './injection-settings.ts';

type Json = Record<string, unknown>;

/**
 * The injection settings a mesh config file gives (Istio's MeshConfig in YAML, or the `istio`
 * ConfigMap holding it under `data.mesh`): `defaultConfig.discoveryAddress`, `proxyMetadata`,
 * `holdApplicationUntilProxyStarts`, `interceptionMode` and `trustDomain`; the rest of the mesh
 * config does not change a pod. Throws naming the file and the field.
 */
export function settingsFromMeshConfig(text: string, file: string, base: InjectionSettings = defaultInjectionSettings()): InjectionSettings {
  const fail = (path: string, reason: string) => new Error(`${file}: ${path === '' ? '' : `${path}: `}${reason}`);
  let mesh: unknown;
  try {
    mesh = parse(text);
  } catch (error) {
    throw fail('', `not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (mesh === null || mesh === undefined) return base;
  if (isObject(mesh) && mesh.kind === 'ConfigMap') {
    const data = isObject(mesh.data) ? mesh.data : {};
    if (typeof data.mesh !== 'string') throw fail('data.mesh', 'a ConfigMap given as mesh config must hold the mesh config in data.mesh');
    return settingsFromMeshConfig(data.mesh, `${file}: data.mesh`, base);
  }
  if (!isObject(mesh)) throw fail('', 'must be a map of MeshConfig fields');
  const settings: InjectionSettings = { ...base, proxyMetadata: { ...base.proxyMetadata } };
  if (mesh.trustDomain !== undefined) settings.trustDomain = string(mesh.trustDomain, () => fail('trustDomain', 'must be a non-empty string'));
  const proxy = mesh.defaultConfig;
  if (proxy === undefined || proxy === null) return settings;
  if (!isObject(proxy)) throw fail('defaultConfig', 'must be a map of ProxyConfig fields');
  if (proxy.discoveryAddress !== undefined) settings.discoveryAddress = string(proxy.discoveryAddress, () => fail('defaultConfig.discoveryAddress', 'must be HOST:PORT'));
  if (proxy.holdApplicationUntilProxyStarts !== undefined) {
    if (typeof proxy.holdApplicationUntilProxyStarts !== 'boolean') throw fail('defaultConfig.holdApplicationUntilProxyStarts', 'must be true or false');
    settings.holdApplicationUntilProxyStarts = proxy.holdApplicationUntilProxyStarts;
  }
  if (proxy.interceptionMode !== undefined) {
    if (!interceptionModes.includes(proxy.interceptionMode as InterceptionMode)) throw fail('defaultConfig.interceptionMode', `must be one of ${interceptionModes.join(', ')}`);
    settings.interceptionMode = proxy.interceptionMode as InterceptionMode;
  }
  if (proxy.proxyMetadata !== undefined) {
    const metadata = proxy.proxyMetadata;
    if (!isObject(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) throw fail('defaultConfig.proxyMetadata', 'must be a map of strings');
    Object.assign(settings.proxyMetadata, metadata);
    if (metadata.ISTIO_META_DNS_CAPTURE !== undefined) settings.dnsCapture = metadata.ISTIO_META_DNS_CAPTURE === 'true';
  }
  return settings;
}

function string(value: unknown, error: () => Error): string {
  if (typeof value !== 'string' || value === '') throw error();
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
