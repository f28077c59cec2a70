import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { adsConfigSource, typeUrls, type JsonObject } from '../networking/envoy-json.ts';
import { faultFilterName } from '../networking/virtual-service-route.ts';
import { buildGrpcServerListeners, inboundListenerPrefix } from './grpc-server-listener.ts';
import { resolveTargets } from './service-target.ts';

/** The listeners gRPC asked for: a client's "HOST:PORT" targets, and a server's inbound
 *  listeners (grpc-server-listener.ts). With no names at all, every client target. */
export function buildGrpcListeners(push: PushContext, proxy: Proxy, names: string[]): JsonObject[] {
  const serverNames = names.filter((name) => name.startsWith(inboundListenerPrefix));
  const clientNames = names.filter((name) => !name.startsWith(inboundListenerPrefix));
  const clients = serverNames.length > 0 && clientNames.length === 0 ? [] : buildClientListeners(push, proxy, clientNames);
  return [...clients, ...buildGrpcServerListeners(push, proxy, serverNames)];
}

/** For each "HOST:PORT" a gRPC client asked for, a Listener of that name with an api_listener:
 *  no socket, only an HTTP connection manager whose routes come by RDS under the same name.
 *  gRPC implements two HTTP filters, fault injection and the router, which must be last.
 *  Unknown names are left out, which tells the client the target does not exist. */
function buildClientListeners(push: PushContext, proxy: Proxy, names: string[]): JsonObject[] {
  return resolveTargets(push, proxy, names).map((target) => ({
    '@type': typeUrls.listener,
    name: target.name,
    api_listener: {
      api_listener: {
        '@type': typeUrls.httpConnectionManager,
        stat_prefix: target.name,
        rds: { config_source: adsConfigSource(), route_config_name: target.name },
        // The fault filter, empty here, applies the routes' fault injection.
        http_filters: [
          { name: faultFilterName, typed_config: { '@type': typeUrls.fault } },
          { name: 'envoy.filters.http.router', typed_config: { '@type': typeUrls.router } },
        ],
      },
    },
  }));
}
