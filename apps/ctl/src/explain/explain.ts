import { isIP } from 'node:net';
import type { DumpSections } from '../proxy-config/config-dump-sections.ts';
import { arrayAt, dig, isObject, istioConfigName, textAt, type JsonObject } from '../proxy-config/json-reading.ts';
import type { ExplainRequest } from './explain-request.ts';
import { isOriginalDstListener, listenerAddress, pickFilterChain, pickListener } from './listener-match.ts';
import { describeRouteMatch, pickRoute, pickVirtualHost } from './route-match.ts';

/** One step of the request's way through the proxy: what was chosen, why, and which Istio
 *  resource made it. */
export interface ExplainStep {
  step: string;
  name: string;
  detail: string;
  source?: string;
}

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';

/**
 * Walks a config dump as the proxy would for one request, without sending it: the original
 * destination, the listener, the filter chain, the route configuration, the virtual host, the
 * route, the cluster (or the weighted clusters) and its endpoints. The walk stops, with a last
 * step saying so, where the proxy would refuse or answer by itself.
 */
export function explain(sections: DumpSections, request: ExplainRequest, address?: string): ExplainStep[] {
  const steps: ExplainStep[] = [];
  const destination = originalDestination(sections, request, address);
  steps.push({ step: 'destination', name: `${destination.ip}:${request.port}`, detail: destination.why });

  const choice = pickListener(sections.listeners, destination.ip, request.port);
  if (!choice) {
    steps.push({ step: 'end', name: 'connection refused', detail: `no listener of the proxy takes ${destination.ip}:${request.port}, and none captures traffic` });
    return steps;
  }
  if (choice.handedOffBy) {
    const capture = choice.handedOffBy;
    steps.push({ step: 'capture', name: textAt(capture.name), detail: `${describeAddress(capture)} receives the captured connection (use_original_dst)`, source: "Istio's capture listener" });
  }
  steps.push({ step: 'listener', name: textAt(choice.listener.name), detail: `${describeAddress(choice.listener)}: ${choice.why}`, source: listenerSource(choice.listener) });

  const chain = pickFilterChain(choice.listener, {
    destinationIp: destination.ip,
    destinationPort: request.port,
    serverName: request.scheme === 'https' ? request.host : undefined,
    transportProtocol: request.scheme === 'https' ? 'tls' : 'raw_buffer',
    applicationProtocols: request.scheme === 'https' ? [] : ['http/1.1'],
  });
  if (!chain) {
    steps.push({ step: 'end', name: 'connection closed', detail: `no filter chain of ${textAt(choice.listener.name)} matches, and it has no default chain` });
    return steps;
  }
  steps.push({ step: 'filter chain', name: chain.label, detail: chain.match });

  const filters = arrayAt(chain.chain.filters, 'filters').filter(isObject);
  const hcm = filters.find((f) => f.name === HCM || String(dig(f, 'typed_config', '@type')).endsWith('.HttpConnectionManager'));
  const tcp = filters.find((f) => f.name === TCP_PROXY || String(dig(f, 'typed_config', '@type')).endsWith('.TcpProxy'));
  if (hcm && isObject(hcm.typed_config)) return [...steps, ...httpSteps(sections, hcm.typed_config, request)];
  if (tcp && isObject(tcp.typed_config)) {
    steps.push({ step: 'network filter', name: 'tcp_proxy', detail: 'the connection is proxied as TCP: no HTTP routing' });
    return [...steps, ...clusterSteps(sections, tcp.typed_config)];
  }
  steps.push({ step: 'end', name: 'no proxying filter', detail: `the chain's filters are ${filters.map((f) => textAt(f.name)).join(', ') || 'none'}` });
  return steps;
}

function httpSteps(sections: DumpSections, hcm: JsonObject, request: ExplainRequest): ExplainStep[] {
  const steps: ExplainStep[] = [];
  const rdsName = textAt(dig(hcm, 'rds', 'route_config_name'));
  const routeConfig = isObject(hcm.route_config) ? hcm.route_config : sections.routes.find((r) => r.name === rdsName);
  if (!routeConfig) {
    steps.push({ step: 'end', name: 'no route configuration', detail: `route configuration ${rdsName} is not in the dump (not received yet): the proxy answers 404` });
    return steps;
  }
  steps.push({ step: 'route configuration', name: textAt(routeConfig.name), detail: isObject(hcm.route_config) ? 'inline in the listener' : 'from RDS' });
  const authority = request.headers[':authority'];
  const vhost = pickVirtualHost(routeConfig, authority);
  if (!vhost) {
    steps.push({ step: 'end', name: '404 Not Found', detail: `no virtual host of ${textAt(routeConfig.name)} has a domain matching ${authority}` });
    return steps;
  }
  steps.push({ step: 'virtual host', name: textAt(vhost.virtualHost.name), detail: `domain ${JSON.stringify(vhost.domain)} matches ${authority}`, source: virtualHostSource(vhost.virtualHost) });
  const picked = pickRoute(vhost.virtualHost, request);
  if (!picked) {
    steps.push({ step: 'end', name: '404 Not Found', detail: `no route of ${textAt(vhost.virtualHost.name)} matches ${request.method} ${request.path}` });
    return steps;
  }
  const { route, index } = picked;
  steps.push({ step: 'route', name: `#${index}${route.name ? ` ${textAt(route.name)}` : ''}`, detail: `first match: ${describeRouteMatch(route.match)}`, source: routeSource(route) });
  if (isObject(route.redirect)) return [...steps, { step: 'end', name: 'redirect', detail: `the proxy answers with a redirect ${JSON.stringify(route.redirect)}` }];
  if (isObject(route.direct_response)) return [...steps, { step: 'end', name: `direct response ${textAt(route.direct_response.status)}`, detail: 'the proxy answers by itself' }];
  if (!isObject(route.route)) return [...steps, { step: 'end', name: 'no action', detail: 'the route has no route, redirect or direct response' }];
  const fault = dig(route, 'typed_per_filter_config', 'envoy.filters.http.fault');
  if (isObject(fault)) steps.push({ step: 'fault', name: 'fault injection', detail: describeFault(fault), source: routeSource(route) });
  return [...steps, ...clusterSteps(sections, route.route)];
}

/** The cluster of a route or tcp_proxy, one of weighted ones, and the endpoints behind it. */
function clusterSteps(sections: DumpSections, action: JsonObject): ExplainStep[] {
  const weighted = arrayAt(dig(action, 'weighted_clusters', 'clusters'), 'weighted_clusters.clusters').filter(isObject);
  if (weighted.length > 0) {
    const total = weighted.reduce((sum, c) => sum + Number(c.weight ?? 0), 0) || 1;
    const steps: ExplainStep[] = [
      { step: 'weighted clusters', name: `${weighted.length} clusters`, detail: `the proxy picks one by weight: ${weighted.map((c) => `${textAt(c.name)} ${Math.round((Number(c.weight ?? 0) * 100) / total)}%`).join(', ')}` },
    ];
    for (const entry of weighted) steps.push(...describeCluster(sections, textAt(entry.name), `weight ${textAt(entry.weight)}`));
    return steps;
  }
  if (action.cluster_header !== undefined) return [{ step: 'end', name: 'cluster from header', detail: `the cluster is named by the request header ${textAt(action.cluster_header)}` }];
  return describeCluster(sections, textAt(action.cluster), '');
}

function describeCluster(sections: DumpSections, name: string, note: string): ExplainStep[] {
  const cluster = sections.clusters.find((c) => c.name === name);
  if (!cluster) return [{ step: 'end', name: `cluster ${name}`, detail: 'not in the dump: the proxy answers 503 (no cluster)' }];
  const type = textAt(cluster.type) || (isObject(cluster.cluster_type) ? textAt(cluster.cluster_type.name) : 'STATIC');
  const steps: ExplainStep[] = [{ step: 'cluster', name, detail: [type, note].filter(Boolean).join(', '), source: clusterSource(cluster) }];
  if (type === 'ORIGINAL_DST') return [...steps, { step: 'endpoints', name: 'the original destination', detail: 'the connection goes where the app sent it' }];
  const serviceName = textAt(dig(cluster, 'eds_cluster_config', 'service_name')) || name;
  const assignment = type === 'EDS' ? sections.endpoints.find((e) => e.cluster_name === serviceName) : isObject(cluster.load_assignment) ? cluster.load_assignment : undefined;
  const endpoints = arrayAt(assignment?.endpoints, 'endpoints')
    .filter(isObject)
    .flatMap((locality) => arrayAt(locality.lb_endpoints, 'lb_endpoints').filter(isObject))
    .map((e) => `${textAt(dig(e, 'endpoint', 'address', 'socket_address', 'address'))}:${textAt(dig(e, 'endpoint', 'address', 'socket_address', 'port_value'))} ${textAt(e.health_status) || 'HEALTHY'}`);
  if (endpoints.length === 0) {
    const why = type === 'EDS' && !assignment ? `no endpoints for ${serviceName} in the dump (is it from /config_dump?include_eds?)` : 'no endpoints: the proxy answers 503 (no healthy upstream)';
    return [...steps, { step: 'endpoints', name: 'none', detail: why }];
  }
  return [...steps, { step: 'endpoints', name: `${endpoints.length}`, detail: endpoints.join(', ') }];
}

/** Where the app's connection goes: an address in the URL, the one given, else the service's
 *  virtual IP as the proxy's own config lists it (a virtual host's domains, or a TCP listener
 *  whose cluster is the service). */
function originalDestination(sections: DumpSections, request: ExplainRequest, address: string | undefined): { ip: string; why: string } {
  if (address) return { ip: address, why: 'the address given' };
  if (isIP(request.host)) return { ip: request.host, why: 'the address in the URL' };
  // Without capture (interception mode NONE) the app dials its sidecar on the loopback.
  if (!sections.listeners.some(isOriginalDstListener)) return { ip: '127.0.0.1', why: `no capture: the app calls its sidecar on 127.0.0.1:${request.port} for ${request.host}` };
  const name = request.host.toLowerCase();
  for (const config of sections.routes) {
    for (const vhost of arrayAt(config.virtual_hosts, 'virtual_hosts').filter(isObject)) {
      const domains = arrayAt(vhost.domains, 'domains').map(String);
      if (!domains.includes(name) && !domains.includes(`${name}:${request.port}`)) continue;
      const vip = domains.find((d) => isIP(d) !== 0);
      if (vip) return { ip: vip, why: `${request.host} resolves to the virtual IP of ${textAt(vhost.name)} (from its virtual host's domains)` };
    }
  }
  for (const listener of sections.listeners) {
    const { ip, port } = listenerAddress(listener);
    if (port !== request.port || ip === '0.0.0.0' || isOriginalDstListener(listener)) continue;
    const clusterNames = arrayAt(listener.filter_chains, 'filter_chains').filter(isObject).flatMap((c) => arrayAt(c.filters, 'filters').filter(isObject)).map((f) => textAt(dig(f, 'typed_config', 'cluster')));
    // `outbound|PORT||reviews.default.svc.cluster.local` serves reviews, reviews.default, ...
    const serves = (cluster: string) => {
      const fqdn = cluster.split('|')[3] ?? '';
      return fqdn === name || fqdn.startsWith(`${name}.`);
    };
    if (clusterNames.some(serves)) return { ip, why: `${request.host} is the service of listener ${textAt(listener.name)}` };
  }
  return { ip: '0.0.0.0', why: `${request.host} is not a name the proxy's config knows; give its address with --address` };
}

function describeAddress(listener: JsonObject): string {
  const { ip, port } = listenerAddress(listener);
  return `${ip}:${port}`;
}

function listenerSource(listener: JsonObject): string | undefined {
  const name = textAt(listener.name);
  if (name === 'virtualOutbound' || name === 'virtualInbound') return "Istio's capture listener";
  const port = /_(\d+)$/.exec(name)?.[1];
  return port ? `Service port ${port} (${textAt(listener.traffic_direction).toLowerCase() || 'outbound'})` : undefined;
}

function virtualHostSource(vhost: JsonObject): string | undefined {
  const name = textAt(vhost.name);
  if (name === 'allow_any') return 'outbound traffic policy ALLOW_ANY';
  if (name === 'block_all') return 'outbound traffic policy REGISTRY_ONLY';
  return /^(.+):(\d+)$/.test(name) ? `Service ${name.replace(/:(\d+)$/, ' port $1')}` : undefined;
}

function routeSource(route: JsonObject): string {
  const vs = istioConfigName(route);
  if (vs) return `VirtualService ${vs}`;
  return textAt(route.name) === 'default' ? "Istio's default route (no VirtualService)" : textAt(route.name) === 'allow_any' ? 'outbound traffic policy ALLOW_ANY' : 'no Istio metadata';
}

function clusterSource(cluster: JsonObject): string | undefined {
  const dr = istioConfigName(cluster);
  const parts = textAt(cluster.name).split('|');
  if (parts.length === 4) {
    const [direction, port, subset, host] = parts;
    const what = direction === 'inbound' ? `inbound port ${port}` : `Service ${host} port ${port}${subset ? `, subset ${subset}` : ''}`;
    return dr ? `${what} (DestinationRule ${dr})` : subset ? `${what} (a DestinationRule's subset)` : what;
  }
  return dr ? `DestinationRule ${dr}` : undefined;
}

function describeFault(fault: JsonObject): string {
  const config = isObject(fault.config) ? fault.config : fault;
  const parts: string[] = [];
  if (isObject(config.delay)) parts.push(`delay ${textAt(config.delay.fixed_delay)} (${percent(config.delay.percentage)})`);
  if (isObject(config.abort)) parts.push(`abort ${textAt(config.abort.http_status) || textAt(config.abort.grpc_status)} (${percent(config.abort.percentage)})`);
  return parts.join(', ') || 'configured';
}

function percent(fraction: unknown): string {
  if (!isObject(fraction)) return '100%';
  const denominator = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[textAt(fraction.denominator) || 'HUNDRED'] ?? 100;
  return `${(Number(fraction.numerator ?? 0) * 100) / denominator}%`;
}
