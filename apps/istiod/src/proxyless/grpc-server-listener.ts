// xDS-enabled gRPC servers ask for their own listener: Istio's gRPC bootstrap sets
// server_listener_resource_name_template to "xds.istio.io/grpc/lds/inbound/%s", and the server
// fills in the "IP:PORT" it binds. It starts serving once it has accepted that listener.
import type { Proxy } from '../model/proxy.ts';
import { inboundPorts, type PushContext } from '../model/push-context.ts';
import { inboundClusterName, socketAddress, typeUrls, type JsonObject } from '../networking/envoy-json.ts';

export const inboundListenerPrefix = 'xds.istio.io/grpc/lds/inbound/';

/** The listener of each "xds.istio.io/grpc/lds/inbound/IP:PORT" a server asked for, when PORT
 *  is a port of the services that select its pod; other names are left out, and such a
 *  server does not serve. Plaintext for now: no PeerAuthentication is applied yet. */
export function buildGrpcServerListeners(push: PushContext, proxy: Proxy, names: string[]): JsonObject[] {
  const ports = new Set(inboundPorts(push, proxy).map((p) => p.targetPort));
  return names.flatMap((name) => {
    const address = /^(.+):(\d+)$/.exec(name.slice(inboundListenerPrefix.length));
    if (!name.startsWith(inboundListenerPrefix) || !address || !ports.has(Number(address[2]))) return [];
    const port = Number(address[2]);
    return [
      {
        '@type': typeUrls.listener,
        name,
        address: socketAddress(address[1].replace(/^\[|\]$/g, ''), port),
        default_filter_chain: {
          name: inboundClusterName(port),
          filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: serverConnectionManager(port) }],
        },
        traffic_direction: 'INBOUND',
      },
    ];
  });
}

/** A server's routes only decide which RPCs it accepts: every one, with a
 *  non_forwarding_action, since the server itself answers them. */
function serverConnectionManager(port: number): JsonObject {
  return {
    '@type': typeUrls.httpConnectionManager,
    stat_prefix: inboundClusterName(port),
    route_config: {
      name: inboundClusterName(port),
      virtual_hosts: [{ name: `inbound|grpc|${port}`, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, non_forwarding_action: {} }] }],
    },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': typeUrls.router } }],
  };
}
