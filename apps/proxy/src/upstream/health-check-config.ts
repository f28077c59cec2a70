import {
  ConfigError, asObject, onlyFields, optionalArray, optionalBoolean, optionalDurationMs, optionalInteger, optionalObject, optionalString,
  requiredString, oneOf, type JsonObject,
} from '@mizzen/filters';

/** What one health check sends and what counts as a pass. */
export type HealthCheckProbe =
  | {
    readonly kind: 'http';
    readonly host: string | undefined;
    readonly path: string;
    readonly headers: readonly [string, string][];
    /** Half-open [start, end) ranges of passing statuses. */
    readonly expectedStatuses: readonly [number, number][];
  }
  | {
    readonly kind: 'tcp';
    /** Bytes written after connecting; empty: a connect is the whole check. */
    readonly send: Buffer;
    /** Byte strings that must all appear in the reply, in order. */
    readonly receive: readonly Buffer[];
  };

/** One entry of a cluster's health_checks. */
export interface HealthCheckConfig {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly intervalJitterMs: number;
  readonly initialJitterMs: number;
  /** Interval while a host is unhealthy (unhealthy_interval, else interval). */
  readonly unhealthyIntervalMs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly probe: HealthCheckProbe;
}

const UINT32_MAX = 0xffffffff;

function requiredDurationMs(obj: JsonObject, key: string, path: string, min = 0): number {
  const ms = optionalDurationMs(obj, key, path);
  if (ms === undefined) throw new ConfigError(`${path}.${key}`, 'required');
  if (ms <= min) throw new ConfigError(`${path}.${key}`, `must be greater than ${min === 0 ? '0s' : `${min / 1000}s`}`);
  return ms;
}

function requiredCount(obj: JsonObject, key: string, path: string): number {
  // UInt32Value: a plain number in proto3 JSON.
  const n = optionalInteger(obj, key, path, 0, UINT32_MAX);
  if (n === undefined) throw new ConfigError(`${path}.${key}`, 'required');
  return Math.max(1, n);
}

/** A Payload: hex text or base64 binary. */
function payload(value: unknown, path: string): Buffer {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['text', 'binary']);
  const text = optionalString(obj, 'text', path);
  const binary = optionalString(obj, 'binary', path);
  if ((text === undefined) === (binary === undefined)) throw new ConfigError(path, 'exactly one of text, binary is required');
  if (text !== undefined) {
    if (!/^([0-9a-fA-F]{2})+$/.test(text)) throw new ConfigError(`${path}.text`, 'must be hex bytes (e.g. "50494e47")');
    return Buffer.from(text, 'hex');
  }
  return Buffer.from(binary as string, 'base64');
}

function httpProbe(obj: JsonObject, path: string): HealthCheckProbe {
  onlyFields(obj, path, ['host', 'path', 'request_headers_to_add', 'request_headers_to_remove', 'expected_statuses', 'codec_client_type']);
  oneOf(obj, 'codec_client_type', path, ['HTTP1'], 'HTTP1');
  const probePath = requiredString(obj, 'path', path);
  if (!probePath.startsWith('/') || /[\s\x00-\x1f\x7f]/.test(probePath)) throw new ConfigError(`${path}.path`, 'must be an origin-form path such as "/healthz"');
  const headers = optionalArray(obj, 'request_headers_to_add', path).map((h, i): [string, string] => {
    const hpath = `${path}.request_headers_to_add[${i}]`;
    const option = asObject(h, hpath);
    onlyFields(option, hpath, ['header', 'append', 'append_action']);
    const header = asObject(option.header, `${hpath}.header`);
    onlyFields(header, `${hpath}.header`, ['key', 'value']);
    const value = optionalString(header, 'value', `${hpath}.header`) ?? '';
    if (/[\r\n\0]/.test(value)) throw new ConfigError(`${hpath}.header.value`, 'must not hold CR, LF or NUL');
    return [requiredString(header, 'key', `${hpath}.header`).toLowerCase(), value];
  });
  const ranges = optionalArray(obj, 'expected_statuses', path).map((r, i): [number, number] => {
    const rpath = `${path}.expected_statuses[${i}]`;
    const range = asObject(r, rpath);
    onlyFields(range, rpath, ['start', 'end']);
    const start = optionalInteger(range, 'start', rpath, 100, 599) ?? 100;
    const end = optionalInteger(range, 'end', rpath, 101, 600) ?? 0;
    if (end <= start) throw new ConfigError(rpath, `end (${end}) must be greater than start (${start}); the range is [start, end)`);
    return [start, end];
  });
  const host = optionalString(obj, 'host', path) || undefined;
  if (host !== undefined && /[\s\x00-\x1f\x7f]/.test(host)) throw new ConfigError(`${path}.host`, 'must not hold spaces or control characters');
  return { kind: 'http', host, path: probePath, headers, expectedStatuses: ranges.length > 0 ? ranges : [[200, 201]] };
}

function tcpProbe(obj: JsonObject, path: string): HealthCheckProbe {
  onlyFields(obj, path, ['send', 'receive']);
  const send = obj.send === undefined || obj.send === null ? Buffer.alloc(0) : payload(obj.send, `${path}.send`);
  const receive = optionalArray(obj, 'receive', path).map((p, i) => payload(p, `${path}.receive[${i}]`));
  return { kind: 'tcp', send, receive };
}

/** Checks a cluster's health_checks (Envoy JSON); throws a ConfigError naming the field. */
export function compileHealthChecks(cluster: JsonObject, path: string): HealthCheckConfig[] {
  return optionalArray(cluster, 'health_checks', path).map((h, i) => {
    const hpath = `${path}.health_checks[${i}]`;
    const obj = asObject(h, hpath);
    onlyFields(obj, hpath, ['timeout', 'interval', 'interval_jitter', 'interval_jitter_percent', 'initial_jitter', 'unhealthy_threshold',
      'healthy_threshold', 'reuse_connection', 'no_traffic_interval', 'no_traffic_healthy_interval', 'unhealthy_interval',
      'unhealthy_edge_interval', 'healthy_edge_interval', 'always_log_health_check_failures', 'http_health_check', 'tcp_health_check']);
    // reuse_connection only saves a handshake per check; each check here opens its own connection.
    optionalBoolean(obj, 'reuse_connection', hpath);
    const http = optionalObject(obj, 'http_health_check', hpath);
    const tcp = optionalObject(obj, 'tcp_health_check', hpath);
    if ((http === undefined) === (tcp === undefined)) throw new ConfigError(hpath, 'exactly one of http_health_check, tcp_health_check is required (gRPC and custom checks are not supported)');
    const intervalMs = requiredDurationMs(obj, 'interval', hpath);
    const jitterPercent = optionalInteger(obj, 'interval_jitter_percent', hpath, 0, 100) ?? 0;
    return {
      timeoutMs: requiredDurationMs(obj, 'timeout', hpath),
      intervalMs,
      intervalJitterMs: (optionalDurationMs(obj, 'interval_jitter', hpath) ?? 0) + (intervalMs * jitterPercent) / 100,
      initialJitterMs: optionalDurationMs(obj, 'initial_jitter', hpath) ?? 0,
      unhealthyIntervalMs: optionalDurationMs(obj, 'unhealthy_interval', hpath) || intervalMs,
      unhealthyThreshold: requiredCount(obj, 'unhealthy_threshold', hpath),
      healthyThreshold: requiredCount(obj, 'healthy_threshold', hpath),
      probe: http ? httpProbe(http, `${hpath}.http_health_check`) : tcpProbe(tcp as JsonObject, `${hpath}.tcp_health_check`),
    };
  });
}
