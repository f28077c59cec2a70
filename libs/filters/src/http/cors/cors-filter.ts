import { ConfigError } from '../../config-error.ts';
import { asObject, onlyFields, optionalArray, optionalBoolean, optionalString, type JsonObject } from '../../config-reader.ts';
import { compileRuntimeFraction } from '../../fractional-percent.ts';
import { getHeader, type HeaderList } from '../../http1/headers.ts';
import type { HttpStream } from '../../http-stream.ts';
import { compileStringMatch } from '../../network/http-connection-manager/route-table.ts';
import {
  registerHttpFilter, registerPerRouteConfig, type FilterStatus, type HttpFilter, type HttpFilterConfig, type HttpFilterPlacement,
  type FilterFactoryContext,
} from '../../registry.ts';

export const CORS_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';
export const CORS_POLICY_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

/** A route's CorsPolicy, compiled. */
export interface CorsPolicy {
  readonly origins: ((origin: string) => boolean)[];
  readonly allowMethods: string | undefined;
  readonly allowHeaders: string | undefined;
  readonly exposeHeaders: string | undefined;
  readonly maxAge: string | undefined;
  readonly allowCredentials: boolean;
  /** Share of requests the policy is enforced on (filter_enabled). */
  readonly enabled: number;
  readonly forwardNotMatchingPreflights: boolean;
}

export function compileCorsPolicy(obj: JsonObject, path: string): CorsPolicy {
  // shadow_enabled only feeds stats that this proxy does not keep.
  onlyFields(obj, path, ['@type', 'allow_origin_string_match', 'allow_methods', 'allow_headers', 'expose_headers', 'max_age',
    'allow_credentials', 'filter_enabled', 'shadow_enabled', 'forward_not_matching_preflights']);
  const maxAge = optionalString(obj, 'max_age', path);
  if (maxAge !== undefined && !/^\d*$/.test(maxAge)) throw new ConfigError(`${path}.max_age`, 'must be a number of seconds');
  return {
    origins: optionalArray(obj, 'allow_origin_string_match', path).map((m, i) => {
      const mpath = `${path}.allow_origin_string_match[${i}]`;
      return compileStringMatch(asObject(m, mpath), mpath);
    }),
    allowMethods: optionalString(obj, 'allow_methods', path),
    allowHeaders: optionalString(obj, 'allow_headers', path),
    exposeHeaders: optionalString(obj, 'expose_headers', path),
    maxAge: maxAge || undefined,
    allowCredentials: optionalBoolean(obj, 'allow_credentials', path) ?? false,
    enabled: compileRuntimeFraction(obj, 'filter_enabled', path) ?? 1,
    forwardNotMatchingPreflights: optionalBoolean(obj, 'forward_not_matching_preflights', path) ?? true,
  };
}

/**
 * envoy.filters.http.cors for one request: answers preflights (OPTIONS with an Origin and
 * Access-Control-Request-Method) from the route's policy, and adds the CORS response headers to
 * the actual requests of an allowed origin.
 */
export class CorsFilter implements HttpFilter {
  private readonly name: string;
  private policy: CorsPolicy | undefined;
  private origin = '';

  constructor(name: string) {
    this.name = name;
  }

  decodeHeaders(stream: HttpStream, _endStream: boolean): FilterStatus {
    const policy = stream.route?.perFilterConfig.get(this.name) as CorsPolicy | undefined;
    const origin = getHeader(stream.request.headers, 'origin');
    if (policy === undefined || origin === undefined || origin === '' || Math.random() >= policy.enabled) return 'continue';
    const preflight = stream.request.method === 'OPTIONS' && (getHeader(stream.request.headers, 'access-control-request-method') ?? '') !== '';
    const allowed = policy.origins.some((test) => test(origin));
    if (!allowed) {
      if (preflight && !policy.forwardNotMatchingPreflights) {
        stream.sendLocalReply(200, '');
        return 'stop';
      }
      return 'continue';
    }
    if (!preflight) {
      this.policy = policy;
      this.origin = origin;
      return 'continue';
    }
    const headers: HeaderList = ['access-control-allow-origin', origin];
    if (policy.allowCredentials) headers.push('access-control-allow-credentials', 'true');
    if (policy.allowMethods) headers.push('access-control-allow-methods', policy.allowMethods);
    if (policy.allowHeaders) headers.push('access-control-allow-headers', policy.allowHeaders);
    if (policy.maxAge) headers.push('access-control-max-age', policy.maxAge);
    stream.sendLocalReply(200, '', headers);
    return 'stop';
  }

  encodeHeaders(_stream: HttpStream, _status: number, headers: HeaderList): void {
    const policy = this.policy;
    if (policy === undefined) return;
    headers.push('access-control-allow-origin', this.origin);
    if (policy.allowCredentials) headers.push('access-control-allow-credentials', 'true');
    if (policy.exposeHeaders) headers.push('access-control-expose-headers', policy.exposeHeaders);
  }

  decodeData(): FilterStatus {
    return 'continue';
  }

  onDownstreamDrain(): void {}

  onDestroy(): void {
    this.policy = undefined;
  }
}

export function createCorsFilter(config: JsonObject, _context: FilterFactoryContext, path: string, placement: HttpFilterPlacement): HttpFilterConfig {
  // The filter-level config carries nothing; policies come from the routes.
  onlyFields(config, path, ['@type']);
  return { terminal: false, createFilter: () => new CorsFilter(placement.name) };
}

registerHttpFilter(CORS_TYPE_URL, createCorsFilter);
registerPerRouteConfig(CORS_POLICY_TYPE_URL, compileCorsPolicy);
