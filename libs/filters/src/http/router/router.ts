import type { JsonObject } from '../../config-reader.ts';
import { registerHttpFilter, type FilterFactoryContext, type HttpFilterConfig } from '../../registry.ts';
import { compileRouterConfig, ROUTER_TYPE_URL } from './router-config.ts';
import { UpstreamRequest } from './upstream-request.ts';

/** envoy.filters.http.router: the terminal HTTP filter that forwards to the route's cluster. */
export function createRouter(config: JsonObject, context: FilterFactoryContext, path: string): HttpFilterConfig {
  const routerConfig = compileRouterConfig(config, path);
  const clusters = context.clusterManager;
  return { terminal: true, createFilter: () => new UpstreamRequest(routerConfig, clusters) };
}

registerHttpFilter(ROUTER_TYPE_URL, createRouter);
