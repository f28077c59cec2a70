// The mesh-wide settings of Istio's mesh config (the `istio` ConfigMap in istio-system, its
// `mesh` key), with Istio's defaults for whatever it leaves out or gets wrong.
import { parse } from 'yaml';
import { readMeshConfig, type HTTPRetry, type KubeObject, type TcpKeepalive } from '@mizzen/config';
import { meshConfigName, meshConfigNamespace } from '../networking/access-log.ts';

export interface MeshSettings {
  outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /** Replaces Istio's built-in default retry policy on routes without retries of their own. */
  defaultHttpRetryPolicy?: HTTPRetry;
  connectTimeout: string;
  tcpKeepalive?: TcpKeepalive;
  enableAutoMtls: boolean;
  trustDomain: string;
  rootNamespace: string;
}

export const defaultMeshSettings: MeshSettings = Object.freeze({
  outboundTrafficPolicy: 'ALLOW_ANY',
  connectTimeout: '10s',
  enableAutoMtls: true,
  trustDomain: 'cluster.local',
  rootNamespace: 'istio-system',
});

/** The mesh settings of the config's ConfigMaps; each field that cannot be read keeps its
 *  default, and `warnings` says which and why. */
export function meshSettings(configMaps: KubeObject[], warnings: string[]): MeshSettings {
  const configMap = configMaps.find((c) => c.metadata.name === meshConfigName && c.metadata.namespace === meshConfigNamespace);
  if (!configMap) return defaultMeshSettings;
  const where = `ConfigMap ${meshConfigNamespace}/${meshConfigName}`;
  let parsed: unknown;
  try {
    parsed = parsedMesh(configMap);
  } catch (error) {
    warnings.push(`${where}: ${(error as Error).message}; mesh-wide settings keep their defaults`);
    return defaultMeshSettings;
  }
  const { mesh, errors } = readMeshConfig(parsed, 'data.mesh');
  warnings.push(...errors.map((e) => `${where}: ${e}`));
  return {
    outboundTrafficPolicy: mesh.outboundTrafficPolicy?.mode ?? defaultMeshSettings.outboundTrafficPolicy,
    ...(mesh.defaultHttpRetryPolicy ? { defaultHttpRetryPolicy: mesh.defaultHttpRetryPolicy } : {}),
    connectTimeout: mesh.connectTimeout ?? defaultMeshSettings.connectTimeout,
    ...(mesh.tcpKeepalive ? { tcpKeepalive: mesh.tcpKeepalive } : {}),
    enableAutoMtls: mesh.enableAutoMtls ?? defaultMeshSettings.enableAutoMtls,
    trustDomain: mesh.trustDomain ?? defaultMeshSettings.trustDomain,
    rootNamespace: mesh.rootNamespace ?? defaultMeshSettings.rootNamespace,
  };
}

/** The ConfigMap's mesh config parsed from YAML (undefined when it has none); throws naming
 *  the field when it cannot be read. */
function parsedMesh(configMap: KubeObject): unknown {
  const data = configMap.data;
  if (data === undefined || data === null) return undefined;
  if (typeof data !== 'object' || Array.isArray(data)) throw new Error('data: must be a map of strings');
  const mesh = (data as Record<string, unknown>).mesh;
  if (mesh === undefined) return undefined;
  if (typeof mesh !== 'string') throw new Error('data.mesh: must be a string holding the mesh config in YAML');
  try {
    return parse(mesh);
  } catch (error) {
    throw new Error(`data.mesh: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
}
