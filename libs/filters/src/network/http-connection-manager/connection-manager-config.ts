import { compileAccessLogs, type AccessLog } from '../../access-log/access-log-config.ts';
import { ConfigError } from '../../config-error.ts';
import { compilePathNormalization, type PathNormalization } from '../../path-normalization.ts';
import {
  asObject, onlyFields, optionalArray, optionalBoolean, optionalDurationMs, optionalInteger, optionalObject, optionalString,
  requiredString, oneOf, type JsonObject,
} from '../../config-reader.ts';
import { createHttpFilterConfig, type FilterFactoryContext, type HttpFilterConfig } from '../../registry.ts';
import { statusClassCounters, type Counter, type Gauge } from '../../stats.ts';
import type { RouteConfigHandle } from './route-config-provider.ts';
import { compileHttp2Options, type Http2Options } from './http2-protocol-options.ts';
import { compileRouteTable } from './route-table.ts';
import { compileUpgradeConfigs } from './upgrade-config.ts';

export const HTTP_CONNECTION_MANAGER_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** Which codec a connection speaks: AUTO picks HTTP/2 on ALPN `h2` or the connection preface. */
export type CodecType = 'AUTO' | 'HTTP1' | 'HTTP2';

export type ServerHeaderTransformation = 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';

export interface ConnectionManagerStats {
  readonly cxTotal: Counter;
  readonly cxActive: Gauge;
  readonly cxHttp1Total: Counter;
  readonly cxHttp2Total: Counter;
  readonly cxHttp2Active: Gauge;
  readonly cxProtocolError: Counter;
  readonly cxDrainClose: Counter;
  readonly rqTotal: Counter;
  readonly rqHttp1Total: Counter;
  readonly rqHttp2Total: Counter;
  /** HTTP/2 connections closed because most of their streams were reset by the client at once. */
  readonly rqTooManyPrematureResets: Counter;
  readonly rqIdleTimeout: Counter;
  readonly rqOverallTimeout: Counter;
  /** HTTP/2 connections closed because frames piled up for a peer that does not read. */
  readonly http2OutboundFlood: Counter;
  readonly rqActive: Gauge;
  readonly rqClass: Counter[];
  readonly rqCompleted: Counter;
  readonly noRoute: Counter;
}

export interface ConnectionManagerConfig {
  readonly statPrefix: string;
  readonly codecType: CodecType;
  readonly http2: Http2Options;
  readonly routes: RouteConfigHandle;
  readonly filters: HttpFilterConfig[];
  readonly serverName: string;
  readonly serverHeaderTransformation: ServerHeaderTransformation;
  readonly generateRequestId: boolean;
  readonly useRemoteAddress: boolean;
  /** 0 disables. */
  readonly idleTimeoutMs: number;
  /** stream_idle_timeout and request_timeout, per stream; 0 disables. */
  readonly streamIdleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** request_headers_timeout: 0 (Envoy's default) disables. */
  readonly requestHeadersTimeoutMs: number;
  readonly maxRequestHeadersBytes: number;
  /** http_protocol_options: HTTP/1.0 is refused (426) unless accepted; its requests go upstream
   *  as HTTP/1.1, so one without Host takes the default host, or is refused (400). */
  readonly http10: { readonly accept: boolean; readonly defaultHost: string | undefined };
  /** Upgrade types (lowercase) passed through as a tunnel on every route (upgrade_configs). */
  readonly upgrades: ReadonlySet<string>;
  /** access_log: empty when none is configured (then nothing is recorded for them). */
  readonly accessLogs: readonly AccessLog[];
  /** normalize_path, merge_slashes, path_with_escaped_slashes_action; undefined when all are off. */
  readonly pathNormalization: PathNormalization | undefined;
  readonly stats: ConnectionManagerStats;
}

// Envoy's defaults.
const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;
const DEFAULT_MAX_HEADERS_KB = 60;

function routeSource(obj: JsonObject, path: string, context: FilterFactoryContext): RouteConfigHandle {
  const inline = optionalObject(obj, 'route_config', path);
  const rds = optionalObject(obj, 'rds', path);
  if ((inline === undefined) === (rds === undefined)) throw new ConfigError(path, 'exactly one of route_config, rds is required');
  if (inline) return { current: compileRouteTable(inline, `${path}.route_config`) };
  const rpath = `${path}.rds`;
  const r = rds as JsonObject;
  onlyFields(r, rpath, ['route_config_name', 'config_source']);
  const source = optionalObject(r, 'config_source', rpath);
  if (source) {
    const spath = `${rpath}.config_source`;
    onlyFields(source, spath, ['ads', 'resource_api_version', 'initial_fetch_timeout']);
    if (!source.ads) throw new ConfigError(`${spath}`, 'only { ads: {} } config sources are supported');
  }
  return context.routeConfigs.subscribe(requiredString(r, 'route_config_name', rpath));
}

function httpFilters(obj: JsonObject, path: string, context: FilterFactoryContext, statPrefix: string): HttpFilterConfig[] {
  const list = optionalArray(obj, 'http_filters', path);
  if (list.length === 0) throw new ConfigError(`${path}.http_filters`, 'at least the router filter is required');
  return list.map((f, i) => {
    const fpath = `${path}.http_filters[${i}]`;
    const fo = asObject(f, fpath);
    onlyFields(fo, fpath, ['name', 'typed_config']);
    const name = requiredString(fo, 'name', fpath);
    const config = createHttpFilterConfig(asObject(fo.typed_config, `${fpath}.typed_config`), context, `${fpath}.typed_config`, { name, statPrefix });
    if (config.terminal !== (i === list.length - 1)) {
      throw new ConfigError(fpath, config.terminal ? 'a terminal filter must be the last HTTP filter' : 'the last HTTP filter must be terminal (the router)');
    }
    return config;
  });
}

/** Compiles an HttpConnectionManager config (Envoy JSON) or throws naming the field. */
export function compileConnectionManagerConfig(obj: JsonObject, context: FilterFactoryContext, path: string): ConnectionManagerConfig {
  onlyFields(obj, path, ['@type', 'stat_prefix', 'codec_type', 'route_config', 'rds', 'http_filters', 'server_name',
    'server_header_transformation', 'generate_request_id', 'use_remote_address', 'common_http_protocol_options',
    'max_request_headers_kb', 'upgrade_configs', 'access_log', 'normalize_path', 'merge_slashes', 'path_with_escaped_slashes_action',
    'request_headers_timeout', 'http_protocol_options', 'http2_protocol_options', 'stream_idle_timeout', 'request_timeout']);
  const codecType = oneOf<CodecType>(obj, 'codec_type', path, ['AUTO', 'HTTP1', 'HTTP2'], 'AUTO');
  let idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
  const common = optionalObject(obj, 'common_http_protocol_options', path);
  if (common) {
    onlyFields(common, `${path}.common_http_protocol_options`, ['idle_timeout']);
    idleTimeoutMs = optionalDurationMs(common, 'idle_timeout', `${path}.common_http_protocol_options`) ?? idleTimeoutMs;
  }
  const http1 = optionalObject(obj, 'http_protocol_options', path) ?? {};
  const http1Path = `${path}.http_protocol_options`;
  onlyFields(http1, http1Path, ['accept_http_10', 'default_host_for_http_10']);
  const statPrefix = requiredString(obj, 'stat_prefix', path);
  const p = `http.${statPrefix}.`;
  const stats = context.stats;
  return {
    statPrefix,
    codecType,
    http2: compileHttp2Options(optionalObject(obj, 'http2_protocol_options', path), `${path}.http2_protocol_options`),
    routes: routeSource(obj, path, context),
    filters: httpFilters(obj, path, context, statPrefix),
    serverName: optionalString(obj, 'server_name', path) ?? 'envoy',
    serverHeaderTransformation: oneOf(obj, 'server_header_transformation', path, ['OVERWRITE', 'APPEND_IF_ABSENT', 'PASS_THROUGH'], 'OVERWRITE'),
    generateRequestId: optionalBoolean(obj, 'generate_request_id', path) ?? true,
    useRemoteAddress: optionalBoolean(obj, 'use_remote_address', path) ?? false,
    idleTimeoutMs,
    streamIdleTimeoutMs: optionalDurationMs(obj, 'stream_idle_timeout', path) ?? 0,
    requestTimeoutMs: optionalDurationMs(obj, 'request_timeout', path) ?? 0,
    requestHeadersTimeoutMs: optionalDurationMs(obj, 'request_headers_timeout', path) ?? 0,
    maxRequestHeadersBytes: (optionalInteger(obj, 'max_request_headers_kb', path, 1, 8192) ?? DEFAULT_MAX_HEADERS_KB) * 1024,
    http10: { accept: optionalBoolean(http1, 'accept_http_10', http1Path) ?? false, defaultHost: optionalString(http1, 'default_host_for_http_10', http1Path) || undefined },
    upgrades: new Set([...compileUpgradeConfigs(obj, path)].filter(([, enabled]) => enabled).map(([type]) => type)),
    accessLogs: compileAccessLogs(optionalArray(obj, 'access_log', path), `${path}.access_log`),
    pathNormalization: compilePathNormalization(obj, path),
    stats: {
      cxTotal: stats.counter(`${p}downstream_cx_total`),
      cxActive: stats.gauge(`${p}downstream_cx_active`),
      cxHttp1Total: stats.counter(`${p}downstream_cx_http1_total`),
      cxHttp2Total: stats.counter(`${p}downstream_cx_http2_total`),
      cxHttp2Active: stats.gauge(`${p}downstream_cx_http2_active`),
      cxProtocolError: stats.counter(`${p}downstream_cx_protocol_error`),
      cxDrainClose: stats.counter(`${p}downstream_cx_drain_close`),
      rqTotal: stats.counter(`${p}downstream_rq_total`),
      rqHttp1Total: stats.counter(`${p}downstream_rq_http1_total`),
      rqHttp2Total: stats.counter(`${p}downstream_rq_http2_total`),
      rqTooManyPrematureResets: stats.counter(`${p}downstream_rq_too_many_premature_resets`),
      rqIdleTimeout: stats.counter(`${p}downstream_rq_idle_timeout`),
      rqOverallTimeout: stats.counter(`${p}downstream_rq_overall_timeout`),
      http2OutboundFlood: stats.counter('http2.outbound_flood'),
      rqActive: stats.gauge(`${p}downstream_rq_active`),
      rqClass: statusClassCounters(stats, `${p}downstream_rq`),
      rqCompleted: stats.counter(`${p}downstream_rq_completed`),
      noRoute: stats.counter(`${p}no_route`),
    },
  };
}
