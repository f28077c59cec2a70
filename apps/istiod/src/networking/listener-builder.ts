import { sidecarScope, visibleServicePorts } from '../model/sidecar-scope.ts';
import { isHttp, isTls, type Protocol } from '../model/protocol.ts';
import type { Proxy } from '../model/proxy.ts';
import { inboundPorts, type InboundPort, type PushContext } from '../model/push-context.ts';
import type { MeshService } from '../model/service.ts';
import {
  adsConfigSource,
  blackHoleCluster,
  inboundClusterName,
  inboundPassthroughCluster,
  outboundClusterName,
  passthroughCluster,
  socketAddress,
  typeUrls,
  type JsonObject,
} from './envoy-json.ts';
import { appliesToSidecar } from '../model/virtual-services.ts';
import { accessLogField, type MeshAccessLog } from './access-log.ts';
import { inboundRouteConfiguration } from './http-route.ts';
import { tcpProxyTarget, tcpRouteChains, tlsRouteChains } from './tcp-route.ts';
import { corsFilterName, faultFilterName, injectsFaults, setsCors } from './virtual-service-route.ts';

export const virtualOutboundPort = 15001;
export const virtualInboundPort = 15006;

/** The listeners of a proxy, sorted by name.
 *
 *  REDIRECT (iptables capture): Istio's layout. virtualOutbound on 15001 hands each captured
 *  connection to the listener of its original destination: `0.0.0.0_PORT` for HTTP ports,
 *  `VIP_PORT` for TCP ports, none of them bound. virtualInbound on 15006 has a filter chain per
 *  inbound port.
 *
 *  NONE (no capture): outbound listeners bound on 127.0.0.1:PORT, where the app connects, and
 *  inbound listeners bound on POD_IP:TARGET_PORT, forwarding to the app on 127.0.0.1. */
export function buildListeners(push: PushContext, proxy: Proxy): JsonObject[] {
  const listeners = proxy.interceptionMode === 'NONE' ? uncapturedListeners(push, proxy) : capturedListeners(push, proxy);
  return listeners.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : 1));
}

interface PortServices {
  port: number;
  http: MeshService[];
  tcp: MeshService[];
  /** Services whose port declares no protocol: sniffed when captured, else TCP. */
  auto: MeshService[];
}

function servicesByPort(push: PushContext, proxy: Proxy): PortServices[] {
  const byPort = new Map<number, PortServices>();
  for (const { service, port } of visibleServicePorts(push, proxy)) {
    const entry = byPort.get(port.port) ?? { port: port.port, http: [], tcp: [], auto: [] };
    (isHttp(port.protocol) ? entry.http : port.protocol === 'AUTO' ? entry.auto : entry.tcp).push(service);
    byPort.set(port.port, entry);
  }
  return [...byPort.values()];
}

function capturedListeners(push: PushContext, proxy: Proxy): JsonObject[] {
  const filters = routeFilters(push, proxy);
  const log = push.accessLog;
  const listeners: JsonObject[] = [];
  for (const { port, http, tcp, auto } of servicesByPort(push, proxy)) {
    if (auto.length > 0) listeners.push(sniffingListener(push, proxy, port, http, auto, filters));
    else if (http.length > 0) listeners.push(listener(`0.0.0.0_${port}`, '0.0.0.0', port, false, 'OUTBOUND', [httpOutboundChain('0.0.0.0', port, filters, log)]));
    for (const service of tcp) {
      if (service.clusterIP) {
        listeners.push(tcpListener(`${service.clusterIP}_${port}`, service.clusterIP, port, false, tcpServiceChains(push, proxy, service, port)));
      } else if (http.length === 0 && auto.length === 0 && tcp.length === 1) {
        // A headless TCP service alone on its port can still own the wildcard listener.
        listeners.push(tcpListener(`0.0.0.0_${port}`, '0.0.0.0', port, false, tcpServiceChains(push, proxy, service, port)));
      }
    }
  }
  listeners.push({
    ...listener('virtualOutbound', '0.0.0.0', virtualOutboundPort, true, 'OUTBOUND', [
      // A connection to 15001 itself would loop forever.
      { ...tcpChain(blackHoleCluster, blackHoleCluster, log), name: 'virtualOutbound-blackhole', filter_chain_match: { destination_port: virtualOutboundPort } },
      // Unknown destinations pass through, or under REGISTRY_ONLY go nowhere.
      sidecarScope(push, proxy).outboundTrafficPolicy === 'REGISTRY_ONLY'
        ? { ...tcpChain(blackHoleCluster, blackHoleCluster, log), name: 'virtualOutbound-catchall-tcp' }
        : { ...tcpChain(passthroughCluster, passthroughCluster, log), name: 'virtualOutbound-catchall-tcp' },
    ]),
    use_original_dst: true,
  });
  // Each inbound port's chains, told apart by destination port (the one the app listens on).
  const portChains = inboundPorts(push, proxy).flatMap((inbound) =>
    inboundChains(push, inbound, '0.0.0.0').map(({ filter_chain_match: match, ...chain }) => ({
      ...chain,
      name: `0.0.0.0_${inbound.targetPort}`,
      filter_chain_match: { destination_port: inbound.targetPort, ...(match as JsonObject | undefined) },
    })),
  );
  const virtualInboundChains = [...portChains, { ...tcpChain(inboundPassthroughCluster, inboundPassthroughCluster, log), name: 'virtualInbound-catchall-tcp' }];
  listeners.push({
    ...listener('virtualInbound', '0.0.0.0', virtualInboundPort, true, 'INBOUND', virtualInboundChains),
    ...inboundListenerFilters(virtualInboundChains, [{ name: 'envoy.filters.listener.original_dst', typed_config: { '@type': typeUrls.originalDst } }]),
  });
  return listeners;
}

/** HTTP as the http_inspector recognises it (ALPN values it sets for plain text). */
const sniffedHttp = ['http/1.1', 'h2c'];

/** A port with services of no declared protocol, as Istio sniffs it: for each such service's
 *  VIP, HTTP (by the application protocol http_inspector detects) goes through the route
 *  configuration and anything else to the service as TCP; HTTP to any other address goes
 *  through the routes when HTTP services share the port; the rest passes through (or, under
 *  REGISTRY_ONLY, goes nowhere). */
function sniffingListener(push: PushContext, proxy: Proxy, port: number, http: MeshService[], auto: MeshService[], filters: JsonObject[]): JsonObject {
  const log = push.accessLog;
  const httpChain = httpOutboundChain('0.0.0.0', port, filters, log);
  const chains: JsonObject[] = [];
  for (const service of auto) {
    if (!service.clusterIP) continue;
    const vip = { address_prefix: service.clusterIP, prefix_len: service.clusterIP.includes(':') ? 128 : 32 };
    chains.push({ ...httpChain, filter_chain_match: { prefix_ranges: [vip], application_protocols: sniffedHttp } });
    chains.push({ ...tcpChain(outboundClusterName(port, service.hostname), tcpProxyTarget(service, { push, proxy, port }), log), filter_chain_match: { prefix_ranges: [vip] } });
  }
  if (http.length > 0 || auto.some((s) => !s.clusterIP)) chains.push({ ...httpChain, filter_chain_match: { application_protocols: sniffedHttp } });
  const fallback = sidecarScope(push, proxy).outboundTrafficPolicy === 'REGISTRY_ONLY' ? blackHoleCluster : passthroughCluster;
  chains.push(tcpChain(fallback, fallback, log));
  return {
    ...listener(`0.0.0.0_${port}`, '0.0.0.0', port, false, 'OUTBOUND', chains),
    listener_filters: [{ name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': typeUrls.httpInspector } }],
  };
}

function uncapturedListeners(push: PushContext, proxy: Proxy): JsonObject[] {
  const inbound = inboundPorts(push, proxy);
  // The app itself listens on 127.0.0.1:TARGET_PORT, so an outbound listener there would clash.
  const appPorts = new Set(inbound.map((i) => i.targetPort));
  const filters = routeFilters(push, proxy);
  const log = push.accessLog;
  const listeners: JsonObject[] = [];
  for (const { port, http, tcp: declaredTcp, auto } of servicesByPort(push, proxy)) {
    if (appPorts.has(port)) continue;
    // Without capture there is no original destination to sniff by: undeclared ports are TCP.
    const tcp = [...declaredTcp, ...auto];
    const name = `127.0.0.1_${port}`;
    if (http.length > 0) {
      listeners.push(listener(name, '127.0.0.1', port, true, 'OUTBOUND', [httpOutboundChain('127.0.0.1', port, filters, log)]));
    } else {
      // One address and port can carry one TCP service: the first by name.
      listeners.push(tcpListener(name, '127.0.0.1', port, true, tcpServiceChains(push, proxy, tcp[0], port)));
    }
  }
  const podIp = proxy.ipAddresses[0];
  for (const port of inbound) {
    const chains = inboundChains(push, port, podIp);
    listeners.push({ ...listener(`${podIp}_${port.targetPort}`, podIp, port.targetPort, true, 'INBOUND', chains), ...inboundListenerFilters(chains, []) });
  }
  return listeners;
}

/** The chains of a TCP service port: where its VirtualService's tcp routes send it (by
 *  destination subnet, then the rest), or for a TLS port that a VirtualService routes by SNI, a
 *  chain per `tls` match. As in Istio, a connection whose SNI no route names then matches no
 *  chain and is closed. */
function tcpServiceChains(push: PushContext, proxy: Proxy, service: MeshService, port: number): JsonObject[] {
  const ctx = { push, proxy, port };
  const protocol = service.ports.find((p) => p.port === port)?.protocol;
  const tls = protocol && isTls(protocol) ? tlsRouteChains(service, ctx) : [];
  if (tls.length > 0) {
    return tls.map(({ match, target }) => ({ filter_chain_match: match, ...tcpChain(statPrefixOf(target, port), target, push.accessLog) }));
  }
  const cluster = outboundClusterName(port, service.hostname);
  return tcpRouteChains(service, ctx).map(({ match, target }) => {
    // The chain for every connection keeps the service's cluster as its stat prefix.
    const chain = tcpChain(match ? statPrefixOf(target, port) : cluster, target, push.accessLog);
    return match ? { filter_chain_match: match, ...chain } : chain;
  });
}

/** The cluster a tcp_proxy names, or for weighted clusters the port. */
function statPrefixOf(target: JsonObject, port: number): string {
  return typeof target.cluster === 'string' ? target.cluster : String(port);
}

/** An outbound TCP listener, with the tls_inspector when a chain matches by SNI. */
function tcpListener(name: string, address: string, port: number, bind: boolean, chains: JsonObject[]): JsonObject {
  const l = listener(name, address, port, bind, 'OUTBOUND', chains);
  const bySni = chains.some((c) => (c.filter_chain_match as JsonObject | undefined)?.server_names);
  return bySni ? { ...l, listener_filters: [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': typeUrls.tlsInspector } }] } : l;
}

export function listener(name: string, address: string, port: number, bind: boolean, direction: 'INBOUND' | 'OUTBOUND', filterChains: JsonObject[]): JsonObject {
  return {
    '@type': typeUrls.listener,
    name,
    address: socketAddress(address, port),
    filter_chains: filterChains,
    ...(bind ? {} : { bind_to_port: false }),
    traffic_direction: direction,
  };
}

/** The HTTP filters that outbound connection managers need before the router for the routes'
 *  per-filter configs: CORS, then fault, in Istio's order. Istio always has them; here each
 *  comes in when a VirtualService the proxy sees uses it, so that proxies without that filter
 *  keep working with every other config. */
function routeFilters(push: PushContext, proxy: Proxy): JsonObject[] {
  const visible = push.virtualServices.filter((vs) => appliesToSidecar(vs, proxy));
  return [
    ...(visible.some(setsCors) ? [{ name: corsFilterName, typed_config: { '@type': typeUrls.cors } }] : []),
    ...(visible.some(injectsFaults) ? [{ name: faultFilterName, typed_config: { '@type': typeUrls.fault } }] : []),
  ];
}

function httpOutboundChain(address: string, port: number, filters: JsonObject[], log: MeshAccessLog | undefined): JsonObject {
  return {
    filters: [
      httpConnectionManager(`outbound_${address}_${port}`, { rds: { config_source: adsConfigSource(), route_config_name: String(port) } }, filters, log),
    ],
  };
}

/** How the chains of an inbound port match a connection, as Istio builds them without mutual
 *  TLS: a declared HTTP or TCP port takes every connection; a port of no declared protocol is
 *  sniffed, HTTP (the application protocols http_inspector sets for plain text) to the
 *  connection manager and the rest as TCP; a TLS port (`tls`, `https`) is the app's own TLS,
 *  passed through as TCP whether the tls_inspector finds TLS or not. */
function inboundMatches(protocol: Protocol): { match?: JsonObject; http: boolean }[] {
  if (isHttp(protocol)) return [{ http: true }];
  if (protocol === 'AUTO') {
    return [
      { match: { transport_protocol: 'raw_buffer', application_protocols: sniffedHttp }, http: true },
      { match: { transport_protocol: 'raw_buffer' }, http: false },
    ];
  }
  if (isTls(protocol)) return [{ match: { transport_protocol: 'tls' }, http: false }, { match: { transport_protocol: 'raw_buffer' }, http: false }];
  return [{ http: false }];
}

/** The filter chains of one inbound port, to the app through `inbound|TARGET_PORT||`. */
function inboundChains(push: PushContext, inbound: InboundPort, address: string): JsonObject[] {
  const cluster = inboundClusterName(inbound.targetPort);
  return inboundMatches(inbound.protocol).map(({ match, http }) => {
    const chain = http
      ? { filters: [httpConnectionManager(`inbound_${address}_${inbound.targetPort}`, { route_config: inboundRouteConfiguration(inbound) }, [], push.accessLog)] }
      : tcpChain(cluster, cluster, push.accessLog);
    return match ? { ...chain, filter_chain_match: match } : chain;
  });
}

/** The listener filters an inbound listener's chains need, after the given ones, as Istio
 *  derives them: the tls_inspector when a chain matches on TLS, then the http_inspector when
 *  one matches on a sniffed HTTP protocol (it leaves a connection the first found TLS alone).
 *  Each runs only on the destination ports whose chains need it (`filter_disabled`), so a
 *  server-first protocol on another port is not held up waiting for the client's first bytes. */
function inboundListenerFilters(chains: JsonObject[], first: JsonObject[]): JsonObject {
  const matches = chains.map((c) => (c.filter_chain_match ?? {}) as { destination_port?: number; transport_protocol?: string; application_protocols?: string[] });
  const needsTls = (m: (typeof matches)[number]) => m.transport_protocol === 'tls';
  const needsHttp = (m: (typeof matches)[number]) => m.application_protocols?.some((p) => sniffedHttp.includes(p)) ?? false;
  const inspectors = [
    { needs: needsTls, filter: { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': typeUrls.tlsInspector } } },
    { needs: needsHttp, filter: { name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': typeUrls.httpInspector } } },
  ].flatMap(({ needs, filter }) => {
    const disabled = inspectorDisabled(matches, needs);
    return disabled === 'always' ? [] : [disabled ? { ...filter, filter_disabled: disabled } : filter];
  });
  const filters = [...first, ...inspectors];
  if (filters.length === 0) return {};
  return { listener_filters: filters, ...(inspectors.length > 0 ? { continue_on_listener_filters_timeout: true } : {}) };
}

/** Where an inspector is not needed, as Istio writes it: 'always' when no chain needs it,
 *  undefined when every port does; else, when the chains for any port (no destination_port)
 *  need it, the listed ports whose chains do not, and otherwise every port but those whose
 *  chains do. */
function inspectorDisabled<M extends { destination_port?: number }>(matches: M[], needs: (m: M) => boolean): JsonObject | 'always' | undefined {
  if (!matches.some(needs)) return 'always';
  const ports = [...new Set(matches.flatMap((m) => (m.destination_port === undefined ? [] : [m.destination_port])))].sort((a, b) => a - b);
  const portNeeds = (port: number) => matches.some((m) => m.destination_port === port && needs(m));
  const anyPortNeeds = matches.some((m) => m.destination_port === undefined && needs(m));
  if (anyPortNeeds) {
    const off = ports.filter((p) => !portNeeds(p));
    return off.length > 0 ? portsPredicate(off) : undefined;
  }
  return { not_match: portsPredicate(ports.filter(portNeeds)) };
}

/** A ListenerFilterChainMatchPredicate matching exactly the given destination ports. */
function portsPredicate(ports: number[]): JsonObject {
  const rules = ports.map((p) => ({ destination_port_range: { start: p, end: p + 1 } }));
  return rules.length === 1 ? rules[0] : { or_match: { rules } };
}

/** An HTTP connection manager: its routes (`rds` or `route_config`), the given HTTP filters
 *  before the router, and the mesh's access log. */
export function httpConnectionManager(statPrefix: string, routes: JsonObject, filters: JsonObject[], log: MeshAccessLog | undefined): JsonObject {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': typeUrls.httpConnectionManager,
      stat_prefix: statPrefix,
      ...routes,
      http_filters: [...filters, { name: 'envoy.filters.http.router', typed_config: { '@type': typeUrls.router } }],
      ...accessLogField(log),
    },
  };
}

/** A chain of one tcp_proxy to a cluster, or to the target a VirtualService's TCP route
 *  gives (`cluster` or `weighted_clusters`), with the mesh's access log. */
export function tcpChain(statPrefix: string, target: string | JsonObject, log: MeshAccessLog | undefined): JsonObject {
  const destination = typeof target === 'string' ? { cluster: target } : target;
  return {
    filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': typeUrls.tcpProxy, stat_prefix: statPrefix, ...destination, ...accessLogField(log) } }],
  };
}
