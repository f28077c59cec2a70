// What a gateway proxy ("router") gets, as Istio programs an ingress gateway: a listener per
// server address and port of the Gateways that select it, HTTP servers routed through RDS
// ("http.PORT", or "https.PORT.PORTNAME.GATEWAY.NAMESPACE" for a terminated HTTPS server), TLS
// terminated with the credential fetched over SDS ("kubernetes://NAME"), and TLS passed
// through by SNI to the cluster a VirtualService's `tls` route names.
import type { Server, ServerTLSSettings } from '@mizzen/config';
import {
  gatewayPorts,
  isAutoPassthrough,
  serverIsHttp,
  serverProtocol,
  splitServerHost,
  intersectHosts,
  terminatesTls,
  virtualServicesForServer,
  type GatewayPort,
  type GatewayServer,
} from '../model/gateways.ts';
import { hostMatches } from '../model/host.ts';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { adsConfigSource, blackHoleCluster, typeUrls, type JsonObject } from './envoy-json.ts';
import { httpConnectionManager, listener, tcpChain } from './listener-builder.ts';
import { sniDnatTargets } from './sni-dnat.ts';
import { routeApplies, routeTarget } from './tcp-route.ts';
import { corsFilterName, faultFilterName, injectsFaults, setsCors, virtualServiceRoutes, type RouteContext } from './virtual-service-route.ts';

/** The listeners of a gateway proxy, sorted by name. */
export function buildGatewayListeners(push: PushContext, proxy: Proxy): JsonObject[] {
  return gatewayPorts(push, proxy)
    .map((group) => gatewayListener(push, proxy, group))
    .filter((l): l is JsonObject => l !== undefined)
    .sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : 1));
}

/** The route configurations of a gateway proxy (all, or the named ones), sorted by name. */
export function buildGatewayRoutes(push: PushContext, proxy: Proxy, names?: string[]): JsonObject[] {
  const wanted = names ? new Set(names) : undefined;
  const configs = new Map<string, { port: number; servers: GatewayServer[] }>();
  for (const group of gatewayPorts(push, proxy)) {
    for (const bound of group.servers) {
      if (!serverIsHttp(bound.server)) continue;
      const name = routeName(bound, group.port);
      const entry = configs.get(name) ?? { port: group.port, servers: [] };
      entry.servers.push(bound);
      configs.set(name, entry);
    }
  }
  return [...configs]
    .filter(([name]) => !wanted || wanted.has(name))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, { port, servers }]) => routeConfiguration(push, proxy, name, port, servers));
}

/** Istio's RDS name of a server: every plain HTTP server of a port shares "http.PORT"; a
 *  terminated HTTPS server has its own. */
export function routeName(bound: GatewayServer, port: number): string {
  if (serverProtocol(bound.server) !== 'HTTPS') return `http.${port}`;
  const [namespace, name] = bound.gatewayName.split('/');
  return `https.${port}.${bound.server.port.name}.${name}.${namespace}`;
}

function gatewayListener(push: PushContext, proxy: Proxy, group: GatewayPort): JsonObject | undefined {
  const chains: JsonObject[] = [];
  const statPrefix = `outbound_${group.bind}_${group.port}`;
  const plainHttp = group.servers.filter((b) => serverIsHttp(b.server) && serverProtocol(b.server) !== 'HTTPS');
  if (plainHttp.length > 0) {
    chains.push({ filters: [httpConnectionManager(statPrefix, rds(`http.${group.port}`), httpFilters(push, plainHttp), push.accessLog)] });
  }
  for (const bound of group.servers) {
    const protocol = serverProtocol(bound.server);
    if (protocol === 'HTTPS' && terminatesTls(bound.server)) {
      chains.push({
        ...sniMatch(serverHostNames(bound)),
        filters: [httpConnectionManager(statPrefix, rds(routeName(bound, group.port)), httpFilters(push, [bound]), push.accessLog)],
        transport_socket: downstreamTls(bound.server.tls as ServerTLSSettings, ['h2', 'http/1.1']),
      });
    } else if ((protocol === 'TLS' || protocol === 'HTTPS') && isAutoPassthrough(bound.server)) {
      chains.push(...autoPassthroughChains(push, proxy, bound));
    } else if ((protocol === 'TLS' || protocol === 'HTTPS') && !terminatesTls(bound.server)) {
      chains.push(...passthroughChains(push, proxy, bound, group.port));
    } else if (protocol === 'TCP' || protocol === 'MONGO' || protocol === 'TLS') {
      const chain = tcpServerChain(push, proxy, bound, group.port);
      if (chain) chains.push(terminatesTls(bound.server) ? { ...chain, ...sniMatch(serverHostNames(bound)), transport_socket: downstreamTls(bound.server.tls as ServerTLSSettings, []) } : chain);
    }
  }
  // A port with nothing to serve is not opened, as in Istio.
  if (chains.length === 0) return undefined;
  const gatewayListener = listener(`${group.bind}_${group.port}`, group.bind, group.port, true, 'OUTBOUND', chains);
  // Choosing a chain by SNI needs the ClientHello read first.
  if (chains.some((c) => (c.filter_chain_match as JsonObject | undefined)?.server_names)) {
    gatewayListener.listener_filters = [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': typeUrls.tlsInspector } }];
  }
  return gatewayListener;
}

function rds(name: string): JsonObject {
  return { rds: { config_source: adsConfigSource(), route_config_name: name } };
}

/** The CORS and fault filters, when a VirtualService bound to these servers uses them. */
function httpFilters(push: PushContext, servers: GatewayServer[]): JsonObject[] {
  const bound = servers.flatMap((s) => virtualServicesForServer(push, s, 'http').map((b) => b.vs));
  return [
    ...(bound.some(setsCors) ? [{ name: corsFilterName, typed_config: { '@type': typeUrls.cors } }] : []),
    ...(bound.some(injectsFaults) ? [{ name: faultFilterName, typed_config: { '@type': typeUrls.fault } }] : []),
  ];
}

/** A server's hosts without their namespace part; "*" means any SNI, so no SNI match. */
function serverHostNames(bound: GatewayServer): string[] {
  const namespace = bound.gateway.metadata.namespace ?? 'default';
  const hosts = bound.server.hosts.map((h) => splitServerHost(h, namespace).host);
  return hosts.includes('*') ? [] : [...new Set(hosts)];
}

function sniMatch(serverNames: string[]): JsonObject {
  return serverNames.length > 0 ? { filter_chain_match: { server_names: serverNames } } : {};
}

/** Istio's TLS versions ("TLSV1_2") in Envoy's spelling ("TLSv1_2"). */
function tlsVersion(version: string): string {
  return version === 'TLS_AUTO' ? 'TLS_AUTO' : version.replace('TLSV', 'TLSv');
}

/** The workload certificate and root of trust that pilot-agent serves over its SDS socket. */
function agentSds(name: string): JsonObject {
  return {
    name,
    sds_config: {
      api_config_source: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }], set_node_on_first_message_only: true },
      initial_fetch_timeout: '0s',
      resource_api_version: 'V3',
    },
  };
}

/** The TLS a gateway terminates: a Kubernetes credential fetched from istiod over ADS
 *  ("kubernetes://NAME", its CA as "kubernetes://NAME-cacert" for MUTUAL), certificate files,
 *  or for ISTIO_MUTUAL the workload certificate from the agent. */
export function downstreamTls(tls: ServerTLSSettings, alpn: string[]): JsonObject {
  const mutual = tls.mode === 'MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL' || tls.mode === 'ISTIO_MUTUAL';
  const common: JsonObject = {};
  if (tls.minProtocolVersion || tls.maxProtocolVersion || tls.cipherSuites?.length) {
    common.tls_params = {
      ...(tls.minProtocolVersion ? { tls_minimum_protocol_version: tlsVersion(tls.minProtocolVersion) } : {}),
      ...(tls.maxProtocolVersion ? { tls_maximum_protocol_version: tlsVersion(tls.maxProtocolVersion) } : {}),
      ...(tls.cipherSuites?.length ? { cipher_suites: tls.cipherSuites } : {}),
    };
  }
  const credentials = tls.credentialNames?.length ? tls.credentialNames : tls.credentialName ? [tls.credentialName] : [];
  if (tls.mode === 'ISTIO_MUTUAL') {
    common.tls_certificate_sds_secret_configs = [agentSds('default')];
    common.combined_validation_context = { default_validation_context: {}, validation_context_sds_secret_config: agentSds('ROOTCA') };
  } else if (credentials.length > 0) {
    const sds = (name: string) => ({ name, sds_config: { ads: {}, resource_api_version: 'V3' } });
    common.tls_certificate_sds_secret_configs = credentials.map((c) => sds(`kubernetes://${c}`));
    if (mutual) common.combined_validation_context = { default_validation_context: validation(tls), validation_context_sds_secret_config: sds(`kubernetes://${credentials[0]}-cacert`) };
  } else {
    common.tls_certificates = [{ certificate_chain: { filename: tls.serverCertificate }, private_key: { filename: tls.privateKey } }];
    if (mutual && tls.caCertificates) common.validation_context = { ...validation(tls), trusted_ca: { filename: tls.caCertificates } };
  }
  if (alpn.length > 0) common.alpn_protocols = alpn;
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': typeUrls.downstreamTlsContext,
      common_tls_context: common,
      ...(tls.mode === 'MUTUAL' || tls.mode === 'ISTIO_MUTUAL' ? { require_client_certificate: true } : {}),
    },
  };
}

function validation(tls: ServerTLSSettings): JsonObject {
  return {
    ...(tls.subjectAltNames?.length ? { match_typed_subject_alt_names: tls.subjectAltNames.map((san) => ({ san_type: 'DNS', matcher: { exact: san } })) } : {}),
    ...(tls.verifyCertificateSpki?.length ? { verify_certificate_spki: tls.verifyCertificateSpki } : {}),
    ...(tls.verifyCertificateHash?.length ? { verify_certificate_hash: tls.verifyCertificateHash } : {}),
  };
}

/** TLS passed through: a chain per `tls` route of the bound VirtualServices, chosen by the
 *  route's SNI hosts (within the server's hosts), proxying the bytes to its destination. */
function passthroughChains(push: PushContext, proxy: Proxy, bound: GatewayServer, port: number): JsonObject[] {
  const ctx: RouteContext = { push, proxy, port, gateway: bound.gatewayName };
  const serverHosts = bound.server.hosts.map((h) => splitServerHost(h, bound.gateway.metadata.namespace ?? 'default').host);
  const chains: JsonObject[] = [];
  const taken = new Set<string>();
  for (const { vs } of virtualServicesForServer(push, bound, 'tls')) {
    const namespace = vs.metadata.namespace ?? 'default';
    for (const route of vs.spec.tls ?? []) {
      if (!routeApplies(route, namespace, ctx)) continue;
      const target = routeTarget(route, namespace, ctx);
      // The first route that claims an SNI name wins it, as Envoy allows one chain per match.
      const sni = route.match
        .flatMap((m) => m.sniHosts)
        .flatMap((h) => serverHosts.map((s) => intersectHosts(s, h)))
        .filter((h): h is string => h !== undefined && !taken.has(h));
      if (!target || sni.length === 0) continue;
      for (const h of sni) taken.add(h);
      const statPrefix = typeof target.cluster === 'string' ? target.cluster : `${port}`;
      chains.push({ filter_chain_match: { server_names: [...new Set(sni)] }, ...tcpChain(statPrefix, target, push.accessLog) });
    }
  }
  return chains;
}

/** AUTO_PASSTHROUGH: a chain per cluster the gateway has by SNI name whose name the server's
 *  hosts admit (a `ns/host` host only the services of that namespace), proxying the bytes to
 *  that cluster. Istio writes one chain with the `sni_cluster` network filter, which takes the
 *  cluster name from the SNI at run time; a chain per name routes the same connections with
 *  only the filter chain match and tcp_proxy, which every proxy of the mesh has. */
function autoPassthroughChains(push: PushContext, proxy: Proxy, bound: GatewayServer): JsonObject[] {
  const hosts = bound.server.hosts.map((h) => splitServerHost(h, bound.gateway.metadata.namespace ?? 'default'));
  return sniDnatTargets(push, proxy)
    .filter(({ service, name }) => hosts.some((h) => (h.namespace === '*' || h.namespace === service.namespace) && hostMatches(h.host, name)))
    .map(({ name }) => ({ filter_chain_match: { server_names: [name] }, ...tcpChain(name, name, push.accessLog) }));
}

/** A TCP server: the first `tcp` route of the bound VirtualServices that applies. */
function tcpServerChain(push: PushContext, proxy: Proxy, bound: GatewayServer, port: number): JsonObject | undefined {
  const ctx: RouteContext = { push, proxy, port, gateway: bound.gatewayName };
  for (const { vs } of virtualServicesForServer(push, bound, 'tcp')) {
    const namespace = vs.metadata.namespace ?? 'default';
    const route = vs.spec.tcp?.find((r) => routeApplies(r, namespace, ctx));
    const target = route && routeTarget(route, namespace, ctx);
    if (target) return tcpChain(typeof target.cluster === 'string' ? target.cluster : blackHoleCluster, target, push.accessLog);
  }
  return undefined;
}

/** One route configuration: a virtual host per host that a bound VirtualService serves on
 *  these servers, its routes those of the VirtualServices in order; with none, a virtual host
 *  that answers 404, as Istio's gateway does. */
function routeConfiguration(push: PushContext, proxy: Proxy, name: string, port: number, servers: GatewayServer[]): JsonObject {
  const hosts = new Map<string, { routes: JsonObject[]; requireTls: boolean }>();
  for (const bound of servers) {
    const ctx: RouteContext = { push, proxy, port, gateway: bound.gatewayName };
    for (const { vs, hosts: vsHosts } of virtualServicesForServer(push, bound, 'http')) {
      const routes = virtualServiceRoutes(vs, ctx);
      if (routes.length === 0) continue;
      for (const host of vsHosts) {
        const entry = hosts.get(host) ?? { routes: [], requireTls: false };
        entry.routes.push(...routes);
        entry.requireTls ||= redirectsToHttps(bound.server, host);
        hosts.set(host, entry);
      }
    }
  }
  const virtualHosts: JsonObject[] = [...hosts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([host, { routes, requireTls }]) => ({
      name: `${host}:${port}`,
      domains: host === '*' ? ['*'] : [host, `${host}:*`],
      routes,
      ...(requireTls ? { require_tls: 'ALL' } : {}),
      include_request_attempt_count: true,
    }));
  if (virtualHosts.length === 0) {
    virtualHosts.push({ name: `blackhole:${port}`, domains: ['*'], routes: [{ name: 'default', match: { prefix: '/' }, direct_response: { status: 404 } }] });
  }
  return { '@type': typeUrls.routeConfiguration, name, virtual_hosts: virtualHosts, validate_clusters: false };
}

/** A plain HTTP server with `tls.httpsRedirect` sends its clients to HTTPS. */
function redirectsToHttps(server: Server, host: string): boolean {
  if (!server.tls?.httpsRedirect) return false;
  return server.hosts.some((h) => hostMatches(splitServerHost(h, '').host, host) || hostMatches(host, splitServerHost(h, '').host));
}
