import { ConfigError, asObject, onlyFields, optionalDurationMs, optionalInteger, optionalObject, type JsonObject } from '@mizzen/filters';

export const HTTP_PROTOCOL_OPTIONS_TYPE_URL = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HTTP_PROTOCOL_OPTIONS_NAME = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Which protocol a cluster's requests use: one for all, the client's own, or what TLS ALPN
 *  negotiates (HTTP/1.1 in clear text). */
export type ProtocolSelection = 'HTTP/1.1' | 'HTTP/2' | 'downstream' | 'auto';

export interface Http2Settings {
  /** Streams this side opens at most on one session (the peer's own limit also binds). */
  readonly maxConcurrentStreams: number;
  readonly initialStreamWindowSize: number | undefined;
  readonly initialConnectionWindowSize: number | undefined;
  /** hpack_table_size: the header compression table this side keeps for the peer's headers. */
  readonly hpackTableSize: number | undefined;
  /** connection_keepalive: a PING every interval, the session closed when none comes back in time. */
  readonly keepaliveIntervalMs: number;
  readonly keepaliveTimeoutMs: number;
}

/** A cluster's HttpProtocolOptions, reduced to what the pools act on. */
export interface HttpProtocolOptions {
  readonly protocol: ProtocolSelection;
  /** A connection with no request for this long closes (Envoy's default is one hour). */
  readonly idleTimeoutMs: number;
  /** 0: no limit. */
  readonly maxRequestsPerConnection: number;
  /** A connection older than this takes no new request and closes when idle; 0: no limit. */
  readonly maxConnectionDurationMs: number;
  readonly http2: Http2Settings;
}

// Envoy's defaults.
const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;
const DEFAULT_MAX_CONCURRENT_STREAMS = 2_147_483_647;
const DEFAULT_HTTP2: Http2Settings = {
  maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS, initialStreamWindowSize: undefined, initialConnectionWindowSize: undefined,
  hpackTableSize: undefined, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 0,
};
export const DEFAULT_PROTOCOL_OPTIONS: HttpProtocolOptions = {
  protocol: 'HTTP/1.1', idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS, maxRequestsPerConnection: 0, maxConnectionDurationMs: 0, http2: DEFAULT_HTTP2,
};

function compileHttp1(value: unknown, path: string): void {
  const o = asObject(value, path);
  // These only relax what the codec accepts from a client; upstream they change nothing.
  onlyFields(o, path, ['accept_http_10', 'allow_absolute_url']);
}

function compileHttp2(value: unknown, path: string): Http2Settings {
  const o = asObject(value, path);
  onlyFields(o, path, ['max_concurrent_streams', 'initial_stream_window_size', 'initial_connection_window_size', 'connection_keepalive', 'hpack_table_size']);
  let keepaliveIntervalMs = 0;
  let keepaliveTimeoutMs = 0;
  const keepalive = optionalObject(o, 'connection_keepalive', path);
  if (keepalive) {
    const kpath = `${path}.connection_keepalive`;
    onlyFields(keepalive, kpath, ['interval', 'timeout']);
    keepaliveIntervalMs = optionalDurationMs(keepalive, 'interval', kpath) ?? 0;
    keepaliveTimeoutMs = optionalDurationMs(keepalive, 'timeout', kpath) ?? 0;
    if (keepaliveTimeoutMs === 0) throw new ConfigError(`${kpath}.timeout`, 'required');
  }
  return {
    maxConcurrentStreams: optionalInteger(o, 'max_concurrent_streams', path, 1, DEFAULT_MAX_CONCURRENT_STREAMS) ?? DEFAULT_MAX_CONCURRENT_STREAMS,
    initialStreamWindowSize: optionalInteger(o, 'initial_stream_window_size', path, 65_535, DEFAULT_MAX_CONCURRENT_STREAMS),
    initialConnectionWindowSize: optionalInteger(o, 'initial_connection_window_size', path, 65_535, DEFAULT_MAX_CONCURRENT_STREAMS),
    hpackTableSize: optionalInteger(o, 'hpack_table_size', path, 0, 0xffffffff),
    keepaliveIntervalMs,
    keepaliveTimeoutMs,
  };
}

interface Common {
  idleTimeoutMs: number;
  maxRequestsPerConnection: number;
  maxConnectionDurationMs: number;
}

function compileCommon(value: unknown, path: string): Common {
  const o = asObject(value, path);
  onlyFields(o, path, ['idle_timeout', 'max_requests_per_connection', 'max_connection_duration']);
  return {
    // 0s disables the idle timeout, as in Envoy.
    idleTimeoutMs: optionalDurationMs(o, 'idle_timeout', path) ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxRequestsPerConnection: optionalInteger(o, 'max_requests_per_connection', path, 0, 0xffffffff) ?? 0,
    maxConnectionDurationMs: optionalDurationMs(o, 'max_connection_duration', path) ?? 0,
  };
}

/** Reads `explicit_http_config`, `use_downstream_protocol_config` or `auto_config` (one of them). */
function compileSelection(o: JsonObject, path: string): { protocol: ProtocolSelection; http2: Http2Settings } {
  const chosen = ['explicit_http_config', 'use_downstream_protocol_config', 'auto_config'].filter((k) => o[k] !== undefined);
  if (chosen.length > 1) throw new ConfigError(path, `only one of ${chosen.join(', ')} may be set`);
  const key = chosen[0];
  if (key === undefined) throw new ConfigError(path, 'one of explicit_http_config, use_downstream_protocol_config or auto_config is required');
  const spath = `${path}.${key}`;
  const s = asObject(o[key], spath);
  if (key === 'explicit_http_config') {
    onlyFields(s, spath, ['http_protocol_options', 'http2_protocol_options', 'http3_protocol_options']);
    if (s.http3_protocol_options !== undefined) throw new ConfigError(`${spath}.http3_protocol_options`, 'HTTP/3 upstreams are not supported');
    if ((s.http_protocol_options === undefined) === (s.http2_protocol_options === undefined)) {
      throw new ConfigError(spath, 'exactly one of http_protocol_options and http2_protocol_options is required');
    }
    if (s.http2_protocol_options !== undefined) return { protocol: 'HTTP/2', http2: compileHttp2(s.http2_protocol_options, `${spath}.http2_protocol_options`) };
    compileHttp1(s.http_protocol_options, `${spath}.http_protocol_options`);
    return { protocol: 'HTTP/1.1', http2: DEFAULT_HTTP2 };
  }
  onlyFields(s, spath, ['http_protocol_options', 'http2_protocol_options', 'http3_protocol_options', ...(key === 'auto_config' ? ['alternate_protocols_cache_options'] : [])]);
  if (s.http3_protocol_options !== undefined) throw new ConfigError(`${spath}.http3_protocol_options`, 'HTTP/3 upstreams are not supported');
  if (s.alternate_protocols_cache_options !== undefined) throw new ConfigError(`${spath}.alternate_protocols_cache_options`, 'HTTP/3 upstreams are not supported');
  if (s.http_protocol_options !== undefined) compileHttp1(s.http_protocol_options, `${spath}.http_protocol_options`);
  const http2 = s.http2_protocol_options === undefined ? DEFAULT_HTTP2 : compileHttp2(s.http2_protocol_options, `${spath}.http2_protocol_options`);
  return { protocol: key === 'auto_config' ? 'auto' : 'downstream', http2 };
}

/**
 * The protocol a cluster speaks and its pool limits, from `typed_extension_protocol_options`
 * (HttpProtocolOptions) or the deprecated cluster-level `http2_protocol_options` and
 * `common_http_protocol_options`. Throws a ConfigError naming the field.
 */
export function compileHttpProtocolOptions(cluster: JsonObject, path: string): HttpProtocolOptions {
  const typed = optionalObject(cluster, 'typed_extension_protocol_options', path);
  let options: JsonObject | undefined;
  let opath = '';
  for (const [key, value] of Object.entries(typed ?? {})) {
    opath = `${path}.typed_extension_protocol_options.${key}`;
    const o = asObject(value, opath);
    if (o['@type'] !== HTTP_PROTOCOL_OPTIONS_TYPE_URL) throw new ConfigError(`${opath}.@type`, `unsupported protocol options "${String(o['@type'])}"`);
    if (key !== HTTP_PROTOCOL_OPTIONS_NAME) throw new ConfigError(opath, `protocol options must be keyed by "${HTTP_PROTOCOL_OPTIONS_NAME}"`);
    options = o;
  }
  const legacyHttp2 = cluster.http2_protocol_options;
  const legacyCommon = cluster.common_http_protocol_options;
  if (options !== undefined) {
    if (legacyHttp2 !== undefined) throw new ConfigError(`${path}.http2_protocol_options`, 'cannot be set with typed_extension_protocol_options');
    if (legacyCommon !== undefined) throw new ConfigError(`${path}.common_http_protocol_options`, 'cannot be set with typed_extension_protocol_options');
    onlyFields(options, opath, ['@type', 'explicit_http_config', 'use_downstream_protocol_config', 'auto_config', 'common_http_protocol_options']);
    const { protocol, http2 } = compileSelection(options, opath);
    const common = options.common_http_protocol_options === undefined
      ? DEFAULT_PROTOCOL_OPTIONS
      : compileCommon(options.common_http_protocol_options, `${opath}.common_http_protocol_options`);
    return { protocol, http2, idleTimeoutMs: common.idleTimeoutMs, maxRequestsPerConnection: common.maxRequestsPerConnection, maxConnectionDurationMs: common.maxConnectionDurationMs };
  }
  const common = legacyCommon === undefined ? DEFAULT_PROTOCOL_OPTIONS : compileCommon(legacyCommon, `${path}.common_http_protocol_options`);
  return {
    protocol: legacyHttp2 === undefined ? 'HTTP/1.1' : 'HTTP/2',
    http2: legacyHttp2 === undefined ? DEFAULT_HTTP2 : compileHttp2(legacyHttp2, `${path}.http2_protocol_options`),
    idleTimeoutMs: common.idleTimeoutMs,
    maxRequestsPerConnection: common.maxRequestsPerConnection,
    maxConnectionDurationMs: common.maxConnectionDurationMs,
  };
}
