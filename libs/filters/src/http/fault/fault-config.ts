import { ConfigError } from '../../config-error.ts';
import { onlyFields, optionalDurationMs, optionalInteger, optionalObject, type JsonObject } from '../../config-reader.ts';
import { compileFractionalPercent } from '../../fractional-percent.ts';

export const FAULT_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

/** An HTTPFault config (at the filter, or per route), compiled. */
export interface FaultConfig {
  readonly delay: { readonly ms: number; readonly share: number } | undefined;
  /** `status` is an HTTP status, or undefined when the abort is a gRPC status. */
  readonly abort: { readonly status: number | undefined; readonly grpcStatus: number | undefined; readonly share: number } | undefined;
  /** Faults in flight at once across this config; Infinity when unlimited. */
  readonly maxActive: number;
}

// The *_runtime fields only name runtime keys; with no runtime layer the configured values hold.
const RUNTIME_KEYS = ['delay_percent_runtime', 'abort_percent_runtime', 'delay_duration_runtime', 'abort_http_status_runtime',
  'max_active_faults_runtime', 'response_rate_limit_percent_runtime', 'abort_grpc_status_runtime'];

function share(obj: JsonObject, path: string): number {
  // An absent percentage is 0%: the fault never fires, as in Envoy.
  return obj.percentage === undefined ? 0 : compileFractionalPercent(obj.percentage, `${path}.percentage`);
}

function compileDelay(obj: JsonObject, path: string): FaultConfig['delay'] {
  onlyFields(obj, path, ['fixed_delay', 'percentage']);
  const ms = optionalDurationMs(obj, 'fixed_delay', path);
  if (ms === undefined) throw new ConfigError(`${path}.fixed_delay`, 'required (header_delay is not supported by this proxy)');
  return { ms, share: share(obj, path) };
}

function compileAbort(obj: JsonObject, path: string): FaultConfig['abort'] {
  onlyFields(obj, path, ['http_status', 'grpc_status', 'percentage']);
  const status = optionalInteger(obj, 'http_status', path, 200, 599);
  const grpcStatus = optionalInteger(obj, 'grpc_status', path, 0, 16);
  if ((status === undefined) === (grpcStatus === undefined)) {
    throw new ConfigError(path, 'exactly one of http_status, grpc_status is required (header_abort is not supported by this proxy)');
  }
  return { status, grpcStatus, share: share(obj, path) };
}

export function compileFaultConfig(obj: JsonObject, path: string): FaultConfig {
  onlyFields(obj, path, ['@type', 'delay', 'abort', 'max_active_faults', 'disable_downstream_cluster_stats', ...RUNTIME_KEYS]);
  const delay = optionalObject(obj, 'delay', path);
  const abort = optionalObject(obj, 'abort', path);
  return {
    delay: delay ? compileDelay(delay, `${path}.delay`) : undefined,
    abort: abort ? compileAbort(abort, `${path}.abort`) : undefined,
    maxActive: optionalInteger(obj, 'max_active_faults', path) ?? Infinity,
  };
}
