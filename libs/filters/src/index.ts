// Importing a filter module registers it under its config's type URL.
import './network/http-connection-manager/http-connection-manager.ts';
import './network/tcp-proxy/tcp-proxy.ts';
import './http/router/router.ts';
import './http/fault/fault-filter.ts';
import './http/cors/cors-filter.ts';

export { ConfigError } from './config-error.ts';
export * from './config-reader.ts';
export * from './cluster-manager.ts';
export * from './stats.ts';
export * from './registry.ts';
export * from './http-stream.ts';
export * from './http1/headers.ts';
export * from './http1/http-head.ts';
export * from './http1/body-decoder.ts';
export { statusText } from './http1/status-text.ts';
export * from './network/http-connection-manager/route-table.ts';
export type * from './network/http-connection-manager/route-config-provider.ts';
export { HTTP_CONNECTION_MANAGER_TYPE_URL } from './network/http-connection-manager/connection-manager-config.ts';
export { HttpConnectionManager } from './network/http-connection-manager/http-connection-manager.ts';
export { TCP_PROXY_TYPE_URL } from './network/tcp-proxy/tcp-proxy.ts';
export { ROUTER_TYPE_URL } from './http/router/router-config.ts';
export type { RetryPolicy } from './http/router/retry-policy.ts';
export { FAULT_TYPE_URL } from './http/fault/fault-config.ts';
export { CORS_TYPE_URL, CORS_POLICY_TYPE_URL } from './http/cors/cors-filter.ts';
export { compileFractionalPercent, compileRuntimeFraction } from './fractional-percent.ts';
