import { ConfigError } from '../config-error.ts';
import { asObject, onlyFields, optionalArray, optionalBoolean, optionalInteger, optionalObject, optionalString, requiredString, oneOf, type JsonObject } from '../config-reader.ts';
import type { DownstreamConnection } from '../registry.ts';
import { parseResponseFlags, ResponseFlag } from '../response-flags.ts';
import { fileSink, stderrSink, stdoutSink, type AccessLogSink } from './access-log-sink.ts';
import { compileFormatString, renderJsonValue, renderText, type FormatPart } from './format-string.ts';
import { ENVOY_DEFAULT_FORMAT } from './istio-format.ts';
import type { StreamInfo } from './stream-info.ts';

export const FILE_ACCESS_LOG_TYPE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
export const STDOUT_ACCESS_LOG_TYPE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
export const STDERR_ACCESS_LOG_TYPE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog';

/** One configured access logger: formats an ended stream and writes it, when its filter agrees. */
export interface AccessLog {
  log(info: StreamInfo): void;
}

type Formatter = (info: StreamInfo) => string;
type Predicate = (info: StreamInfo) => boolean;

/** json_format: a Struct whose string leaves are format strings; one JSON object per line. */
function compileJsonFormat(struct: JsonObject, path: string, omitEmpty: boolean): Formatter {
  const compile = (value: unknown, vpath: string): ((info: StreamInfo) => unknown) => {
    if (typeof value === 'string') {
      const parts: FormatPart[] = compileFormatString(value, vpath);
      return (info) => renderJsonValue(parts, info);
    }
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return () => value;
    const obj = asObject(value, vpath);
    const fields = Object.entries(obj).map(([key, v]) => [key, compile(v, `${vpath}.${key}`)] as const);
    return (info) => {
      const out: JsonObject = {};
      for (const [key, render] of fields) {
        const v = render(info);
        if (!(omitEmpty && (v === null || v === ''))) out[key] = v;
      }
      return out;
    };
  };
  const render = compile(struct, path);
  return (info) => `${JSON.stringify(render(info))}\n`;
}

/** A SubstitutionFormatString (log_format), or Envoy's default format when absent. */
function compileLogFormat(format: JsonObject | undefined, path: string): Formatter {
  if (format === undefined) {
    const parts = compileFormatString(ENVOY_DEFAULT_FORMAT, path);
    return (info) => renderText(parts, info);
  }
  onlyFields(format, path, ['text_format', 'text_format_source', 'json_format', 'omit_empty_values', 'content_type']);
  const omitEmpty = optionalBoolean(format, 'omit_empty_values', path) ?? false;
  const json = optionalObject(format, 'json_format', path);
  const source = optionalObject(format, 'text_format_source', path);
  const legacy = optionalString(format, 'text_format', path);
  if ([json, source, legacy].filter((x) => x !== undefined).length !== 1) {
    throw new ConfigError(path, 'exactly one of text_format, text_format_source, json_format is required');
  }
  if (json) return compileJsonFormat(json, `${path}.json_format`, omitEmpty);
  let text = legacy as string;
  if (source) {
    const spath = `${path}.text_format_source`;
    onlyFields(source, spath, ['inline_string', 'inline_bytes']);
    const inline = optionalString(source, 'inline_string', spath);
    const bytes = optionalString(source, 'inline_bytes', spath);
    if ((inline === undefined) === (bytes === undefined)) throw new ConfigError(spath, 'exactly one of inline_string, inline_bytes is required (filename is not supported)');
    text = inline ?? Buffer.from(bytes as string, 'base64').toString('utf8');
  }
  const parts = compileFormatString(text, path);
  if (!omitEmpty) return (info) => renderText(parts, info);
  // Empty values print as nothing instead of "-".
  return (info) => parts.map((p) => (typeof p === 'string' ? p : (p(info) ?? ''))).join('');
}

function compareOp(obj: JsonObject, path: string): (n: number) => boolean {
  onlyFields(obj, path, ['comparison']);
  const c = asObject(obj.comparison, `${path}.comparison`);
  const cpath = `${path}.comparison`;
  onlyFields(c, cpath, ['op', 'value']);
  const op = oneOf(c, 'op', cpath, ['EQ', 'GE', 'LE', 'NE'], 'EQ');
  const value = asObject(c.value, `${cpath}.value`);
  onlyFields(value, `${cpath}.value`, ['default_value', 'runtime_key']);
  const target = optionalInteger(value, 'default_value', `${cpath}.value`) ?? 0;
  switch (op) {
    case 'GE': return (n) => n >= target;
    case 'LE': return (n) => n <= target;
    case 'NE': return (n) => n !== target;
    default: return (n) => n === target;
  }
}

/** An AccessLogFilter: which streams are logged. */
function compileFilter(obj: JsonObject, path: string): Predicate {
  const keys = Object.keys(obj);
  if (keys.length !== 1) throw new ConfigError(path, 'exactly one filter kind is required');
  const kind = keys[0];
  const kpath = `${path}.${kind}`;
  const spec = asObject(obj[kind], kpath);
  switch (kind) {
    case 'status_code_filter': {
      const test = compareOp(spec, kpath);
      return (info) => test(info.responseCode);
    }
    case 'duration_filter': {
      const test = compareOp(spec, kpath);
      return (info) => test(Math.round(info.endTime - info.startTime));
    }
    case 'response_flag_filter': {
      onlyFields(spec, kpath, ['flags']);
      const list = optionalArray(spec, 'flags', kpath);
      let flags = 0;
      list.forEach((f, i) => {
        if (typeof f !== 'string') throw new ConfigError(`${kpath}.flags[${i}]`, 'must be a string');
        try {
          flags |= parseResponseFlags(f);
        } catch (err) {
          throw new ConfigError(`${kpath}.flags[${i}]`, (err as Error).message);
        }
      });
      // No flags listed: any flag at all.
      return list.length === 0 ? (info) => info.responseFlags !== 0 : (info) => (info.responseFlags & flags) !== 0;
    }
    // The proxy never logs its own health checks as requests, so every stream passes.
    case 'not_health_check_filter':
      onlyFields(spec, kpath, []);
      return () => true;
    case 'and_filter':
    case 'or_filter': {
      onlyFields(spec, kpath, ['filters']);
      const filters = optionalArray(spec, 'filters', kpath).map((f, i) => compileFilter(asObject(f, `${kpath}.filters[${i}]`), `${kpath}.filters[${i}]`));
      if (filters.length < 2) throw new ConfigError(`${kpath}.filters`, 'at least two filters are required');
      return kind === 'and_filter' ? (info) => filters.every((f) => f(info)) : (info) => filters.some((f) => f(info));
    }
    default:
      throw new ConfigError(kpath, 'not supported by this proxy (supported: status_code_filter, duration_filter, response_flag_filter, not_health_check_filter, and_filter, or_filter)');
  }
}

function compileSink(typeUrl: string, config: JsonObject, path: string): { sink: AccessLogSink; format: JsonObject | undefined } {
  if (typeUrl === FILE_ACCESS_LOG_TYPE_URL) {
    onlyFields(config, path, ['@type', 'path', 'log_format', 'format', 'json_format']);
    const legacyText = optionalString(config, 'format', path);
    const legacyJson = optionalObject(config, 'json_format', path);
    let format = optionalObject(config, 'log_format', path);
    if ([format, legacyText, legacyJson].filter((x) => x !== undefined).length > 1) {
      throw new ConfigError(path, 'at most one of log_format, format, json_format');
    }
    if (legacyText !== undefined) format = { text_format: legacyText };
    if (legacyJson !== undefined) format = { json_format: legacyJson };
    return { sink: fileSink(requiredString(config, 'path', path), `${path}.path`), format };
  }
  if (typeUrl === STDOUT_ACCESS_LOG_TYPE_URL || typeUrl === STDERR_ACCESS_LOG_TYPE_URL) {
    onlyFields(config, path, ['@type', 'log_format']);
    return { sink: typeUrl === STDOUT_ACCESS_LOG_TYPE_URL ? stdoutSink() : stderrSink(), format: optionalObject(config, 'log_format', path) };
  }
  throw new ConfigError(`${path}.@type`, `unknown access logger "${typeUrl}" (known: ${[FILE_ACCESS_LOG_TYPE_URL, STDOUT_ACCESS_LOG_TYPE_URL, STDERR_ACCESS_LOG_TYPE_URL].join(', ')})`);
}

/** Compiles an `access_log` list (HCM or tcp_proxy); an empty list costs the data path nothing. */
export function compileAccessLogs(list: unknown[], path: string): AccessLog[] {
  return list.map((entry, i) => {
    const epath = `${path}[${i}]`;
    const obj = asObject(entry, epath);
    onlyFields(obj, epath, ['name', 'typed_config', 'filter']);
    const config = asObject(obj.typed_config, `${epath}.typed_config`);
    const typeUrl = config['@type'];
    if (typeof typeUrl !== 'string') throw new ConfigError(`${epath}.typed_config`, 'missing "@type"');
    const { sink, format } = compileSink(typeUrl, config, `${epath}.typed_config`);
    const formatter = compileLogFormat(format, `${epath}.typed_config.log_format`);
    const filterObj = optionalObject(obj, 'filter', epath);
    const filter = filterObj === undefined ? undefined : compileFilter(filterObj, `${epath}.filter`);
    return {
      log(info: StreamInfo): void {
        if (filter === undefined || filter(info)) sink.write(formatter(info));
      },
    };
  });
}

/** Logs an ended stream to each logger; a failure to format never reaches the data path. */
export function writeAccessLogs(logs: readonly AccessLog[], info: StreamInfo): void {
  for (const log of logs) {
    try {
      log.log(info);
    } catch {
      // Formatting reads only the stream's own fields; nothing here should throw, and if it
      // did, losing one log line is better than losing the connection.
    }
  }
}

/** A request the codec refused (400, 431, 408...): Envoy logs it with the DPE flag. One that
 *  already became a stream is marked and logs itself as it ends; a head that never parsed is
 *  logged here from what the connection knows. */
export function logCodecError(logs: readonly AccessLog[], connection: DownstreamConnection, stream: StreamInfo | undefined, status: number): void {
  if (stream !== undefined) {
    stream.responseFlags |= ResponseFlag.DPE;
    stream.responseCode = status;
    stream.responseCodeDetails = 'codec_error';
    return;
  }
  const now = performance.now();
  writeAccessLogs(logs, {
    startTime: now, requestEndTime: 0, responseStartTime: now, endTime: now, responseFlags: ResponseFlag.DPE, responseCode: status,
    responseCodeDetails: 'codec_error', bytesReceived: 0, bytesSent: 0, upstreamHost: undefined, upstreamCluster: undefined,
    upstreamSocket: undefined, upstreamTransportFailureReason: undefined, connection, request: undefined, authority: undefined,
    routeName: undefined, responseHeaders: undefined,
  });
}
