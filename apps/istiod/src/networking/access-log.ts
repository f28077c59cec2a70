// Access logs, as Istio turns them on: the mesh config (the `istio` ConfigMap in `istio-system`,
// its `mesh` key) names a file (`accessLogFile`, usually /dev/stdout), an encoding
// (`accessLogEncoding`, TEXT or JSON) and optionally a format (`accessLogFormat`). Every HTTP
// connection manager and tcp_proxy of the sidecars and gateways then logs there.
import { parse } from 'yaml';
import type { KubeObject } from '@mizzen/config';
import { FILE_ACCESS_LOG_TYPE_URL, ISTIO_DEFAULT_FORMAT, ISTIO_DEFAULT_JSON_FORMAT } from '@mizzen/filters';
import type { JsonObject } from './envoy-json.ts';

export interface MeshAccessLog {
  file: string;
  encoding: 'TEXT' | 'JSON';
  /** accessLogFormat: a format string (TEXT) or a JSON object of format strings (JSON). */
  format?: string;
}

export const meshConfigNamespace = 'istio-system';
export const meshConfigName = 'istio';

/** The access log the mesh config asks for, or undefined when it asks for none (no ConfigMap,
 *  or no accessLogFile). A mesh config that cannot be read turns access logs off, and says why
 *  in `warnings`. */
export function meshAccessLog(configMaps: KubeObject[], warnings: string[]): MeshAccessLog | undefined {
  const configMap = configMaps.find((c) => c.metadata.name === meshConfigName && c.metadata.namespace === meshConfigNamespace);
  if (!configMap) return undefined;
  try {
    return accessLogFromConfigMap(configMap);
  } catch (error) {
    warnings.push(`ConfigMap ${meshConfigNamespace}/${meshConfigName}: ${(error as Error).message}; access logs are off`);
    return undefined;
  }
}

/** Reads the access log fields of the ConfigMap's mesh config; throws naming the field. */
export function accessLogFromConfigMap(configMap: KubeObject): MeshAccessLog | undefined {
  const data = configMap.data;
  if (data === undefined) return undefined;
  if (!isObject(data)) throw new Error('data: must be a map of strings');
  if (data.mesh === undefined) return undefined;
  if (typeof data.mesh !== 'string') throw new Error('data.mesh: must be a string holding the mesh config in YAML');
  let mesh: unknown;
  try {
    mesh = parse(data.mesh);
  } catch (error) {
    throw new Error(`data.mesh: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (mesh === null || mesh === undefined) return undefined;
  if (!isObject(mesh)) throw new Error('data.mesh: must be a map of MeshConfig fields');
  const { accessLogFile: file, accessLogEncoding: encoding = 'TEXT', accessLogFormat: format } = mesh;
  if (file === undefined || file === '') return undefined;
  if (typeof file !== 'string') throw new Error('data.mesh.accessLogFile: must be a path such as /dev/stdout');
  if (encoding !== 'TEXT' && encoding !== 'JSON') throw new Error(`data.mesh.accessLogEncoding: must be TEXT or JSON, got ${JSON.stringify(encoding)}`);
  if (format !== undefined && (typeof format !== 'string' || format.trim() === '')) throw new Error('data.mesh.accessLogFormat: must be a non-empty format string');
  if (format !== undefined && encoding === 'JSON') jsonFormat(format);
  return { file, encoding, ...(format === undefined ? {} : { format }) };
}

/** The `access_log` entry of a connection manager or tcp_proxy: Envoy's file logger. */
export function fileAccessLog(log: MeshAccessLog): JsonObject {
  const logFormat =
    log.encoding === 'JSON'
      ? { json_format: log.format === undefined ? { ...ISTIO_DEFAULT_JSON_FORMAT } : jsonFormat(log.format) }
      : { text_format_source: { inline_string: log.format === undefined ? ISTIO_DEFAULT_FORMAT : withNewline(log.format) } };
  return { name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path: log.file, log_format: logFormat } };
}

const entries = new WeakMap<MeshAccessLog, JsonObject[]>();

/** The `access_log` field of an HTTP connection manager or tcp_proxy: none without a mesh
 *  access log. The entry is built once per mesh config and shared by every filter. */
export function accessLogField(log: MeshAccessLog | undefined): JsonObject {
  if (!log) return {};
  let entry = entries.get(log);
  if (!entry) {
    entry = [fileAccessLog(log)];
    entries.set(log, entry);
  }
  return { access_log: entry };
}

/** Istio's JSON accessLogFormat is a JSON object of format strings, written as a string. */
function jsonFormat(format: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(format);
  } catch {
    throw new Error('data.mesh.accessLogFormat: with accessLogEncoding JSON it must be a JSON object of format strings');
  }
  if (!isObject(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new Error('data.mesh.accessLogFormat: with accessLogEncoding JSON it must be a JSON object of format strings');
  }
  return parsed;
}

// Each entry is a line of its own, whatever the user's format ends with.
function withNewline(format: string): string {
  return format.endsWith('\n') ? format : `${format}\n`;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
