import { ConfigError } from '../../config-error.ts';
import { asObject, onlyFields, optionalArray, optionalDurationMs, optionalInteger, optionalObject, optionalString, type JsonObject } from '../../config-reader.ts';
import { getHeader, type HeaderList } from '../../http1/headers.ts';

/** A route's retry_policy, compiled. */
export interface RetryPolicy {
  readonly numRetries: number;
  /** Failures before the request went upstream: the connection could not be made (every
   *  request head is written as soon as its connection or stream is ready). */
  readonly onConnectFailure: boolean;
  /** Resets: the upstream closed or broke framing before the response head, or a try timed out. */
  readonly onReset: boolean;
  /** An HTTP/2 stream the upstream refused (REFUSED_STREAM, or past its GOAWAY): never processed. */
  readonly onRefusedStream: boolean;
  readonly on5xx: boolean;
  readonly onGatewayError: boolean;
  /** retriable-4xx: 409 Conflict, the one 4xx Envoy retries. */
  readonly on409: boolean;
  /** envoy-ratelimited: a response carrying x-envoy-ratelimited. */
  readonly onRateLimited: boolean;
  readonly retriableStatusCodes: number[];
  /** gRPC statuses in a response head that are retried: a trailers-only response carries its
   *  grpc-status there (as in Envoy, trailers after a body come too late to retry). */
  readonly grpcStatuses: string[];
  /** 0: no per-try timeout. */
  readonly perTryTimeoutMs: number;
  readonly avoidPreviousHosts: boolean;
  /** retry_priority previous_priorities: after every this many tries, the priorities tried so
   *  far are avoided (0: off). */
  readonly previousPrioritiesEvery: number;
  readonly hostSelectionAttempts: number;
  readonly baseIntervalMs: number;
  readonly maxIntervalMs: number;
}

// gRPC's retriable conditions and the status codes they name.
const GRPC_RETRY_ON: Record<string, string> = { cancelled: '1', 'deadline-exceeded': '4', 'resource-exhausted': '8', internal: '13', unavailable: '14' };
// Envoy's conditions this router implements. reset-before-request covers what failed before
// the request head left: here, connection failures. http3-post-connect-failure is about
// HTTP/3 upstreams, which this proxy never opens, so it never applies. retriable-headers
// (matching response headers against retriable_headers) is not implemented and is refused.
const RETRY_ON = ['5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'http3-post-connect-failure', ...Object.keys(GRPC_RETRY_ON)];
const PREVIOUS_HOSTS = 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';
const PREVIOUS_PRIORITIES = 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig';

/** retry_priority: only Envoy's previous_priorities, with its required update_frequency. */
function compileRetryPriority(obj: JsonObject, path: string): number {
  const priority = optionalObject(obj, 'retry_priority', path);
  if (!priority) return 0;
  const ppath = `${path}.retry_priority`;
  onlyFields(priority, ppath, ['name', 'typed_config']);
  const typed = optionalObject(priority, 'typed_config', ppath);
  if (typed?.['@type'] !== PREVIOUS_PRIORITIES) throw new ConfigError(`${ppath}.typed_config`, `unsupported retry priority "${String(typed?.['@type'] ?? priority.name)}"`);
  onlyFields(typed, `${ppath}.typed_config`, ['@type', 'update_frequency']);
  const every = optionalInteger(typed, 'update_frequency', `${ppath}.typed_config`, 1);
  if (every === undefined) throw new ConfigError(`${ppath}.typed_config.update_frequency`, 'required (at least 1)');
  return every;
}

export function compileRetryPolicy(obj: JsonObject, path: string): RetryPolicy {
  onlyFields(obj, path, ['retry_on', 'num_retries', 'per_try_timeout', 'retry_host_predicate', 'host_selection_retry_max_attempts',
    'retriable_status_codes', 'retry_back_off', 'retry_priority']);
  const on = (optionalString(obj, 'retry_on', path) ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const condition of on) {
    if (!RETRY_ON.includes(condition)) throw new ConfigError(`${path}.retry_on`, `"${condition}" is not supported (supported: ${RETRY_ON.join(', ')})`);
  }
  const predicates = optionalArray(obj, 'retry_host_predicate', path).map((p, i) => {
    const ppath = `${path}.retry_host_predicate[${i}]`;
    const po = asObject(p, ppath);
    onlyFields(po, ppath, ['name', 'typed_config']);
    const typeUrl = optionalObject(po, 'typed_config', ppath)?.['@type'];
    if (typeUrl !== PREVIOUS_HOSTS) throw new ConfigError(`${ppath}.typed_config`, `unsupported retry host predicate "${String(typeUrl ?? po.name)}"`);
    return typeUrl;
  });
  let baseIntervalMs = 25;
  let maxIntervalMs = 250;
  const backOff = optionalObject(obj, 'retry_back_off', path);
  if (backOff) {
    onlyFields(backOff, `${path}.retry_back_off`, ['base_interval', 'max_interval']);
    baseIntervalMs = optionalDurationMs(backOff, 'base_interval', `${path}.retry_back_off`) ?? baseIntervalMs;
    maxIntervalMs = optionalDurationMs(backOff, 'max_interval', `${path}.retry_back_off`) ?? baseIntervalMs * 10;
  }
  const retriable = on.includes('retriable-status-codes')
    ? optionalArray(obj, 'retriable_status_codes', path).map((c, i) => {
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 100 || c > 599) throw new ConfigError(`${path}.retriable_status_codes[${i}]`, 'must be an HTTP status');
      return c;
    })
    : [];
  return {
    numRetries: optionalInteger(obj, 'num_retries', path) ?? 1,
    onConnectFailure: ['connect-failure', '5xx', 'gateway-error', 'reset', 'reset-before-request'].some((c) => on.includes(c)),
    onReset: on.includes('reset') || on.includes('5xx') || on.includes('gateway-error'),
    onRefusedStream: on.includes('refused-stream') || on.includes('reset') || on.includes('5xx') || on.includes('gateway-error'),
    on5xx: on.includes('5xx'),
    onGatewayError: on.includes('gateway-error'),
    on409: on.includes('retriable-4xx'),
    onRateLimited: on.includes('envoy-ratelimited'),
    retriableStatusCodes: retriable,
    grpcStatuses: on.filter((c) => GRPC_RETRY_ON[c] !== undefined).map((c) => GRPC_RETRY_ON[c]),
    perTryTimeoutMs: optionalDurationMs(obj, 'per_try_timeout', path) ?? 0,
    avoidPreviousHosts: predicates.length > 0,
    previousPrioritiesEvery: compileRetryPriority(obj, path),
    hostSelectionAttempts: optionalInteger(obj, 'host_selection_retry_max_attempts', path) ?? 1,
    baseIntervalMs,
    maxIntervalMs,
  };
}

/** Whether a response head asks for another try under the policy. */
export function retriableResponse(policy: RetryPolicy, status: number, headers: HeaderList): boolean {
  if (policy.on5xx && status >= 500) return true;
  if (policy.onGatewayError && (status === 502 || status === 503 || status === 504)) return true;
  if (policy.on409 && status === 409) return true;
  if (policy.onRateLimited && getHeader(headers, 'x-envoy-ratelimited') !== undefined) return true;
  if (policy.retriableStatusCodes.includes(status)) return true;
  if (policy.grpcStatuses.length > 0) {
    const grpc = getHeader(headers, 'grpc-status');
    if (grpc !== undefined && policy.grpcStatuses.includes(grpc)) return true;
  }
  return false;
}

/** Envoy's back-off: a random wait up to base * 2^(try - 1), capped at the max interval. */
export function backOffMs(policy: RetryPolicy, retry: number, random: number): number {
  return Math.floor(random * Math.min(policy.maxIntervalMs, policy.baseIntervalMs * 2 ** (retry - 1)));
}
