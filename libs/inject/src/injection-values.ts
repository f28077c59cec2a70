import { parse } from 'yaml';
import { defaultInjectionSettings, type InjectionSettings } from './injection-settings.ts';

type Json = Record<string, unknown>;

/**
 * The injection settings Istio's injector values give (istioctl's `--injectConfigFile`: the
 * `istio-sidecar-injector` ConfigMap, whose `data.values` is JSON, or the values themselves in
 * YAML): the proxy image from `global.hub`, `global.tag` and `global.proxy.image` (a full image
 * reference when it has a "/" or ":"), and `global.proxy.holdApplicationUntilProxyStarts`.
 * Istio's templates in `data.config` are not read: Mizzen has one built-in template.
 */
export function settingsFromInjectionValues(text: string, file: string, base: InjectionSettings = defaultInjectionSettings()): InjectionSettings {
  const fail = (path: string, reason: string) => new Error(`${file}: ${path === '' ? '' : `${path}: `}${reason}`);
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw fail('', `not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (document === null || document === undefined) return base;
  if (!isObject(document)) throw fail('', 'must be a map of injection values');
  if (document.kind === 'ConfigMap') {
    const values = isObject(document.data) ? document.data.values : undefined;
    if (typeof values !== 'string') throw fail('data.values', 'the injector ConfigMap must hold its values (JSON) in data.values');
    return settingsFromInjectionValues(values, `${file}: data.values`, base);
  }
  const global = document.global;
  if (global === undefined) return base;
  if (!isObject(global)) throw fail('global', 'must be a map');
  const proxy = global.proxy === undefined ? {} : global.proxy;
  if (!isObject(proxy)) throw fail('global.proxy', 'must be a map');
  const optionalText = (value: unknown, path: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') throw fail(path, 'must be a non-empty string');
    return value;
  };
  const settings = { ...base };
  const hub = optionalText(global.hub, 'global.hub');
  const tag = typeof global.tag === 'number' ? String(global.tag) : optionalText(global.tag, 'global.tag');
  const image = optionalText(proxy.image, 'global.proxy.image');
  if (image !== undefined && /[/:]/.test(image)) settings.proxyImage = image;
  else if (hub !== undefined || tag !== undefined || image !== undefined) {
    const [baseHub, baseRest] = splitImage(base.proxyImage);
    const [baseName, baseTag] = baseRest.split(':');
    settings.proxyImage = `${hub ?? baseHub}/${image ?? baseName}:${tag ?? baseTag ?? 'latest'}`;
  }
  if (proxy.holdApplicationUntilProxyStarts !== undefined) {
    if (typeof proxy.holdApplicationUntilProxyStarts !== 'boolean') throw fail('global.proxy.holdApplicationUntilProxyStarts', 'must be true or false');
    settings.holdApplicationUntilProxyStarts = proxy.holdApplicationUntilProxyStarts;
  }
  return settings;
}

/** "docker.io/istio/proxyv2:1.2" as ["docker.io/istio", "proxyv2:1.2"]. */
function splitImage(image: string): [string, string] {
  const slash = image.lastIndexOf('/');
  return slash < 0 ? ['', image] : [image.slice(0, slash), image.slice(slash + 1)];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
