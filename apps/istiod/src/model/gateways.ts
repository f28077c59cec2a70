// Istio's Gateway as a gateway proxy ("router") sees it: the Gateways whose selector picks its
// pod, their servers grouped by port, and the VirtualServices bound to each server.
import type { Gateway, Server, VirtualService } from '@mizzen/config';
import { hostMatches, isExportedTo, resolveHost } from './host.ts';
import type { Proxy } from './proxy.ts';
import { proxyLabels, type PushContext } from './push-context.ts';
import { selectorMatches } from './service.ts';

/** One server of one Gateway. */
export interface GatewayServer {
  gateway: Gateway;
  server: Server;
  /** "namespace/name" of the Gateway, as VirtualServices name it. */
  gatewayName: string;
}

/** The servers of the Gateways a router serves that share an address and port. */
export interface GatewayPort {
  /** The server's `bind` address, else 0.0.0.0. */
  bind: string;
  port: number;
  servers: GatewayServer[];
}

/** Whether a proxy is a gateway (node id "router~..."), as `pilot-agent proxy router` starts it. */
export function isRouter(proxy: Proxy): boolean {
  return proxy.type === 'router';
}

/** The Gateways whose selector picks the proxy's pod labels, by namespace and name. A Gateway
 *  without a selector applies to every gateway proxy, as in Istio. */
export function gatewaysFor(push: PushContext, proxy: Proxy): Gateway[] {
  const labels = proxyLabels(push, proxy);
  return push.gateways.filter((g) => !g.spec.selector || Object.keys(g.spec.selector).length === 0 || selectorMatches(g.spec.selector, labels));
}

/** The servers of the proxy's Gateways grouped by address and port, in port order. */
export function gatewayPorts(push: PushContext, proxy: Proxy): GatewayPort[] {
  const byAddress = new Map<string, GatewayPort>();
  for (const gateway of gatewaysFor(push, proxy)) {
    const gatewayName = `${gateway.metadata.namespace ?? 'default'}/${gateway.metadata.name}`;
    for (const server of gateway.spec.servers) {
      const bind = server.bind ?? '0.0.0.0';
      const key = `${bind}_${server.port.number}`;
      const entry = byAddress.get(key) ?? { bind, port: server.port.number, servers: [] };
      entry.servers.push({ gateway, server, gatewayName });
      byAddress.set(key, entry);
    }
  }
  return [...byAddress.values()].sort((a, b) => a.port - b.port || (a.bind < b.bind ? -1 : a.bind > b.bind ? 1 : 0));
}

/** A server's protocol, upper case ("HTTP", "HTTPS", "TLS", "TCP", ...). */
export function serverProtocol(server: Server): string {
  return server.port.protocol.toUpperCase();
}

/** Whether the server speaks HTTP to the routes: plain HTTP, or HTTPS/TLS terminated here. */
export function serverIsHttp(server: Server): boolean {
  const protocol = serverProtocol(server);
  if (protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-WEB') return true;
  return protocol === 'HTTPS' && terminatesTls(server);
}

/** Whether a server passes TLS through to the cluster its SNI names
 *  (`outbound_.PORT_.SUBSET_.HOST`), with no VirtualService: Istio's AUTO_PASSTHROUGH, which
 *  east-west gateways use. */
export function isAutoPassthrough(server: Server): boolean {
  return server.tls?.mode === 'AUTO_PASSTHROUGH';
}

/** Whether any server of the gateway proxy is AUTO_PASSTHROUGH, so that it needs the clusters
 *  named by SNI. */
export function servesAutoPassthrough(push: PushContext, proxy: Proxy): boolean {
  return gatewayPorts(push, proxy).some((p) => p.servers.some((b) => isAutoPassthrough(b.server)));
}

/** Whether the gateway terminates TLS on the server (rather than passing it through by SNI). */
export function terminatesTls(server: Server): boolean {
  const mode = server.tls?.mode;
  return mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL' || mode === 'ISTIO_MUTUAL';
}

/** A VirtualService's `gateways` entry as "namespace/name": short names are in the
 *  VirtualService's namespace, "ns/name" is taken as written, and so is Istio's FQDN form
 *  "name.ns.svc.cluster.local". */
export function resolveGatewayName(reference: string, namespace: string): string {
  if (reference.includes('/')) return reference;
  const labels = reference.split('.');
  if (labels.length > 1) return `${labels[1]}/${labels[0]}`;
  return `${namespace}/${reference}`;
}

/** Whether a list of `gateways` (of a VirtualService or one of its matches) names the gateway. */
export function namesGateway(gateways: string[] | undefined, vsNamespace: string, gatewayName: string): boolean {
  return (gateways ?? []).some((g) => resolveGatewayName(g, vsNamespace) === gatewayName);
}

/** A server host split into its namespace part and host part: "./foo.com", "ns/foo.com" or
 *  "foo.com" (any namespace). */
export function splitServerHost(host: string, gatewayNamespace: string): { namespace: string; host: string } {
  const slash = host.indexOf('/');
  if (slash < 0) return { namespace: '*', host };
  const namespace = host.slice(0, slash);
  return { namespace: namespace === '.' ? gatewayNamespace : namespace, host: host.slice(slash + 1) };
}

/** The host two patterns have in common, the narrower of the two, or undefined. */
export function intersectHosts(a: string, b: string): string | undefined {
  if (hostMatches(a, b)) return b;
  if (hostMatches(b, a)) return a;
  return undefined;
}

/** A VirtualService bound to a server, with the hosts it serves there. */
export interface BoundVirtualService {
  vs: VirtualService;
  hosts: string[];
}

/** The VirtualServices bound to a gateway server, in store order: they name the Gateway in
 *  `gateways`, are visible to the Gateway's namespace, live in a namespace the server host
 *  allows, and share a host with it. */
export function virtualServicesForServer(push: PushContext, bound: GatewayServer, kind: 'http' | 'tcp' | 'tls'): BoundVirtualService[] {
  const gatewayNamespace = bound.gateway.metadata.namespace ?? 'default';
  const serverHosts = bound.server.hosts.map((h) => splitServerHost(h, gatewayNamespace));
  const result: BoundVirtualService[] = [];
  for (const vs of push.virtualServices) {
    const namespace = vs.metadata.namespace ?? 'default';
    if (!vs.spec[kind]?.length || !namesGateway(vs.spec.gateways, namespace, bound.gatewayName)) continue;
    if (!isExportedTo(vs.spec.exportTo, namespace, gatewayNamespace)) continue;
    const hosts = new Set<string>();
    for (const vsHost of vs.spec.hosts ?? []) {
      const resolved = resolveHost(vsHost, namespace);
      for (const serverHost of serverHosts) {
        if (serverHost.namespace !== '*' && serverHost.namespace !== namespace) continue;
        const common = intersectHosts(serverHost.host, resolved);
        if (common) hosts.add(common);
      }
    }
    if (hosts.size > 0) result.push({ vs, hosts: [...hosts] });
  }
  return result;
}
