import { onlyFields, optionalBoolean, type JsonObject } from '../../config-reader.ts';

export const ROUTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

export interface RouterConfig {
  /** Leaves out x-envoy-upstream-service-time and x-envoy-expected-rq-timeout-ms. */
  readonly suppressEnvoyHeaders: boolean;
}

export function compileRouterConfig(obj: JsonObject, path: string): RouterConfig {
  // dynamic_stats and start_child_span only shape stats and tracing that this proxy does not emit.
  onlyFields(obj, path, ['@type', 'suppress_envoy_headers', 'dynamic_stats', 'start_child_span']);
  return { suppressEnvoyHeaders: optionalBoolean(obj, 'suppress_envoy_headers', path) ?? false };
}
