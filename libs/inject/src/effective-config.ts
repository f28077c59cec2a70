import { parse } from 'yaml';
import { Annotation } from './annotations.ts';
import { InjectionError } from './injection-error.ts';
import { interceptionModes, type InjectionSettings, type InterceptionMode } from './injection-settings.ts';

/** The settings for one pod: the mesh's, overridden by the pod's annotations
 *  (`proxy.istio.io/config`, `sidecar.istio.io/interceptionMode`, ...). */
export interface EffectiveConfig {
  /** Istio's ProxyConfig as the agent gets it in PROXY_CONFIG (camelCase fields). */
  proxyConfig: Record<string, unknown>;
  proxyMetadata: Record<string, string>;
  interceptionMode: InterceptionMode;
  dnsCapture: boolean;
  holdApplicationUntilProxyStarts: boolean;
  /** The agent's port for merged metrics and app probes (15020). */
  statusPort: number;
}

export const DEFAULT_STATUS_PORT = 15020;

export function effectiveConfig(settings: InjectionSettings, annotations: Record<string, string>, where: string): EffectiveConfig {
  const fromAnnotation = readProxyConfigAnnotation(annotations[Annotation.proxyConfig], where);
  const proxyMetadata: Record<string, string> = { ...settings.proxyMetadata };
  if (settings.dnsCapture) proxyMetadata.ISTIO_META_DNS_CAPTURE = 'true';
  Object.assign(proxyMetadata, fromAnnotation.proxyMetadata ?? {});

  const proxyConfig: Record<string, unknown> = { discoveryAddress: settings.discoveryAddress };
  if (settings.holdApplicationUntilProxyStarts) proxyConfig.holdApplicationUntilProxyStarts = true;
  Object.assign(proxyConfig, fromAnnotation);
  if (Object.keys(proxyMetadata).length > 0) proxyConfig.proxyMetadata = proxyMetadata;
  else delete proxyConfig.proxyMetadata;

  const modeAnnotation = annotations[Annotation.interceptionMode];
  if (modeAnnotation !== undefined && !isInterceptionMode(modeAnnotation)) {
    throw new InjectionError(`${where}: annotation ${Annotation.interceptionMode}: must be one of ${interceptionModes.join(', ')}, got "${modeAnnotation}"`);
  }
  const interceptionMode = modeAnnotation ?? (fromAnnotation.interceptionMode as InterceptionMode | undefined) ?? settings.interceptionMode;

  return {
    proxyConfig,
    proxyMetadata,
    interceptionMode,
    dnsCapture: proxyMetadata.ISTIO_META_DNS_CAPTURE === 'true',
    holdApplicationUntilProxyStarts: proxyConfig.holdApplicationUntilProxyStarts === true,
    statusPort: statusPort(annotations[Annotation.statusPort], fromAnnotation.statusPort as number | undefined, where),
  };
}

/** The annotation's ProxyConfig (YAML or JSON), with the fields the injector acts on checked;
 *  the others are passed on to the agent as they are. */
function readProxyConfigAnnotation(text: string | undefined, where: string): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  const fail = (path: string, reason: string) => new InjectionError(`${where}: annotation ${Annotation.proxyConfig}${path}: ${reason}`);
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw fail('', `not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (!isObject(value)) throw fail('', 'must be a map of ProxyConfig fields');
  if (value.holdApplicationUntilProxyStarts !== undefined && typeof value.holdApplicationUntilProxyStarts !== 'boolean') {
    throw fail('.holdApplicationUntilProxyStarts', `must be true or false, got ${JSON.stringify(value.holdApplicationUntilProxyStarts)}`);
  }
  if (value.proxyMetadata !== undefined && !(isObject(value.proxyMetadata) && Object.values(value.proxyMetadata).every((v) => typeof v === 'string'))) {
    throw fail('.proxyMetadata', 'must be a map of strings');
  }
  if (value.interceptionMode !== undefined && !isInterceptionMode(value.interceptionMode)) {
    throw fail('.interceptionMode', `must be one of ${interceptionModes.join(', ')}, got ${JSON.stringify(value.interceptionMode)}`);
  }
  if (value.discoveryAddress !== undefined && (typeof value.discoveryAddress !== 'string' || !/^[^\s:]+:\d+$/.test(value.discoveryAddress))) {
    throw fail('.discoveryAddress', `must be HOST:PORT, got ${JSON.stringify(value.discoveryAddress)}`);
  }
  if (value.statusPort !== undefined && !isPort(value.statusPort)) throw fail('.statusPort', `must be a port (1-65535), got ${JSON.stringify(value.statusPort)}`);
  return value;
}

function statusPort(annotation: string | undefined, fromProxyConfig: number | undefined, where: string): number {
  if (annotation === undefined) return fromProxyConfig ?? DEFAULT_STATUS_PORT;
  const port = Number(annotation);
  if (!/^\d+$/.test(annotation) || !isPort(port)) throw new InjectionError(`${where}: annotation ${Annotation.statusPort}: must be a port (1-65535), got "${annotation}"`);
  return port;
}

function isInterceptionMode(value: unknown): value is InterceptionMode {
  return typeof value === 'string' && (interceptionModes as readonly string[]).includes(value);
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
