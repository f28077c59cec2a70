// A VirtualService's HTTP routes as Envoy routes, translated as Istio translates them: one Envoy
// route per match of each HTTP route, in order, each with the route's action (weighted
// destinations, redirect or direct response), rewrite, timeout, retries, mirror, header
// changes and fault injection, and the VirtualService named in its metadata.
import type { CorsPolicy, Destination, Headers, HTTPFaultInjection, HTTPMatchRequest, HTTPRetry, HTTPRoute, HTTPRouteDestination, Percent, StringMatch, VirtualService } from '@mizzen/config';
import { destinationRuleFor, portPolicy } from '../model/destination-rules.ts';
import { namesGateway } from '../model/gateways.ts';
import { resolveHost } from '../model/host.ts';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { selectorMatches } from '../model/service.ts';
import { meshGateway } from '../model/virtual-services.ts';
import { durationJson, outboundClusterName, typeUrls, type JsonObject } from './envoy-json.ts';
import { hashPolicy } from './traffic-policy.ts';

/** The names under which the fault and CORS filters sit in the HTTP connection manager. */
export const faultFilterName = 'envoy.filters.http.fault';
export const corsFilterName = 'envoy.filters.http.cors';

/** Where a route is built: for which proxy, in which route configuration (port). */
export interface RouteContext {
  push: PushContext;
  proxy: Proxy;
  port: number;
  /** For a gateway proxy, the Gateway ("namespace/name") whose server the routes are for;
   *  undefined for a sidecar (the "mesh" gateway). */
  gateway?: string;
}

/** The Envoy routes of a VirtualService for one port, in order. A route whose matches all
 *  name another port, other source labels or namespace, or only gateways, is left out. */
export function virtualServiceRoutes(vs: VirtualService, ctx: RouteContext): JsonObject[] {
  const namespace = vs.metadata.namespace ?? 'default';
  return (vs.spec.http ?? []).flatMap((route) => {
    // Delegation (routes kept in another VirtualService) is not followed yet.
    if (route.delegate) return [];
    const matches = route.match && route.match.length > 0 ? route.match.filter((m) => matchApplies(m, namespace, ctx)) : [undefined];
    return matches.map((match) => ({
      ...routeName(route.name, match?.name),
      match: routeMatch(match),
      ...action(route, namespace, ctx),
      // proxy-config routes shows which VirtualService a route came from, as for Istio.
      metadata: { filter_metadata: { istio: { config: `/apis/networking.istio.io/v1/namespaces/${namespace}/virtual-service/${vs.metadata.name}` } } },
      ...headerFields(route.headers, route.route?.length === 1 ? route.route[0].headers : undefined),
      ...perFilterConfig(route),
    }));
  });
}

/** Whether a VirtualService injects faults on any HTTP route. */
export function injectsFaults(vs: VirtualService): boolean {
  return (vs.spec.http ?? []).some((route) => route.fault !== undefined);
}

/** Whether a VirtualService sets a CORS policy on any HTTP route. */
export function setsCors(vs: VirtualService): boolean {
  return (vs.spec.http ?? []).some((route) => route.corsPolicy !== undefined);
}

function perFilterConfig(route: HTTPRoute): JsonObject {
  const config: JsonObject = {};
  if (route.corsPolicy) config[corsFilterName] = corsConfig(route.corsPolicy);
  if (route.fault) config[faultFilterName] = faultConfig(route.fault);
  return Object.keys(config).length > 0 ? { typed_per_filter_config: config } : {};
}

/** The CORS filter's per-route policy, as Istio writes it: lists joined with commas, max age in
 *  whole seconds, origins as string matchers, and the policy always enabled. */
function corsConfig(cors: CorsPolicy): JsonObject {
  const origins = cors.allowOrigins?.map(stringMatcher) ?? cors.allowOrigin?.map((exact) => ({ exact })) ?? [];
  const joined = (values: string[] | undefined) => (values && values.length > 0 ? values.join(',') : undefined);
  const fields: JsonObject = {
    '@type': typeUrls.corsPolicy,
    allow_origin_string_match: origins.length > 0 ? origins : undefined,
    allow_methods: joined(cors.allowMethods),
    allow_headers: joined(cors.allowHeaders),
    expose_headers: joined(cors.exposeHeaders),
    max_age: cors.maxAge !== undefined ? String(Math.floor(Number(durationJson(cors.maxAge).slice(0, -1)))) : undefined,
    allow_credentials: cors.allowCredentials,
    filter_enabled: { default_value: { numerator: 100 } },
    forward_not_matching_preflights: cors.unmatchedPreflights === 'FORWARD' ? true : cors.unmatchedPreflights === 'IGNORE' ? false : undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** Istio names a route after the HTTP route, and the match when it has a name too. */
function routeName(route: string | undefined, match: string | undefined): JsonObject {
  const name = match ? `${route ?? ''}.${match}` : (route ?? '');
  return name ? { name } : {};
}

function matchApplies(match: HTTPMatchRequest, vsNamespace: string, ctx: RouteContext): boolean {
  if (match.port !== undefined && match.port !== ctx.port) return false;
  if (match.sourceLabels && !selectorMatches(match.sourceLabels, ctx.proxy.labels)) return false;
  if (match.sourceNamespace !== undefined && match.sourceNamespace !== ctx.proxy.namespace) return false;
  return matchesGateway(match.gateways, vsNamespace, ctx);
}

/** Whether a match's `gateways` (when it lists any) name where the routes are built: the
 *  Gateway of a gateway proxy, or "mesh" for a sidecar. */
export function matchesGateway(gateways: string[] | undefined, vsNamespace: string, ctx: RouteContext): boolean {
  if (!gateways || gateways.length === 0) return true;
  return ctx.gateway ? namesGateway(gateways, vsNamespace, ctx.gateway) : gateways.includes(meshGateway);
}

function routeMatch(match: HTTPMatchRequest | undefined): JsonObject {
  const out: JsonObject = pathMatch(match?.uri);
  if (match?.ignoreUriCase) out.case_sensitive = false;
  const headers = [
    ...pseudoHeader(':method', match?.method),
    ...pseudoHeader(':authority', match?.authority),
    ...pseudoHeader(':scheme', match?.scheme),
    ...Object.entries(match?.headers ?? {}).map(([name, m]) => headerMatcher(name, m, false)),
    ...Object.entries(match?.withoutHeaders ?? {}).map(([name, m]) => headerMatcher(name, m, true)),
  ];
  if (headers.length > 0) out.headers = headers;
  const query = Object.entries(match?.queryParams ?? {}).map(([name, m]) => (isEmptyMatch(m) ? { name, present_match: true } : { name, string_match: stringMatcher(m) }));
  if (query.length > 0) out.query_parameters = query;
  return out;
}

function pathMatch(uri: StringMatch | undefined): JsonObject {
  if (uri?.exact !== undefined) return { path: uri.exact };
  if (uri?.regex !== undefined) return { safe_regex: { regex: uri.regex } };
  return { prefix: uri?.prefix ?? '/' };
}

function pseudoHeader(name: string, match: StringMatch | undefined): JsonObject[] {
  return match ? [headerMatcher(name, match, false)] : [];
}

function headerMatcher(name: string, match: StringMatch, invert: boolean): JsonObject {
  // An empty match means "the header is present" (or, inverted, absent).
  const body = isEmptyMatch(match) ? { present_match: true } : { string_match: stringMatcher(match) };
  return { name, ...body, ...(invert ? { invert_match: true } : {}) };
}

function stringMatcher(match: StringMatch): JsonObject {
  if (match.exact !== undefined) return { exact: match.exact };
  if (match.prefix !== undefined) return { prefix: match.prefix };
  return { safe_regex: { regex: match.regex ?? '' } };
}

function isEmptyMatch(match: StringMatch): boolean {
  return match.exact === undefined && match.prefix === undefined && match.regex === undefined;
}

function action(route: HTTPRoute, namespace: string, ctx: RouteContext): JsonObject {
  if (route.redirect) return { redirect: redirectAction(route.redirect) };
  if (route.directResponse) {
    const body = route.directResponse.body;
    return {
      direct_response: {
        status: route.directResponse.status,
        ...(body?.string !== undefined ? { body: { inline_string: body.string } } : body?.bytes !== undefined ? { body: { inline_bytes: body.bytes } } : {}),
      },
    };
  }
  return { route: routeAction(route, namespace, ctx) };
}

const redirectCodes: Record<number, string | undefined> = { 301: undefined, 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };

function redirectAction(redirect: NonNullable<HTTPRoute['redirect']>): JsonObject {
  const code = redirect.redirectCode ? redirectCodes[redirect.redirectCode] : undefined;
  return {
    ...(redirect.scheme ? { scheme_redirect: redirect.scheme } : {}),
    ...(redirect.authority ? { host_redirect: redirect.authority } : {}),
    ...(redirect.port ? { port_redirect: redirect.port } : {}),
    ...(redirect.uri ? { path_redirect: redirect.uri } : {}),
    // 301 is Envoy's default, so canonical JSON leaves it out.
    ...(code ? { response_code: code } : {}),
  };
}

function routeAction(route: HTTPRoute, namespace: string, ctx: RouteContext): JsonObject {
  // A destination of weight 0 among others gets no traffic, so Istio leaves it out.
  const destinations = (route.route ?? []).filter((d, _, all) => all.length === 1 || (d.weight ?? 0) > 0);
  const targets = destinations.map((d) => ({ ...d, cluster: clusterFor(d.destination, namespace, ctx) }));
  const out: JsonObject =
    targets.length === 1
      ? { cluster: targets[0].cluster }
      : { weighted_clusters: { clusters: targets.map((t) => ({ name: t.cluster, weight: t.weight ?? 0, ...headerFields(t.headers, undefined) })) } };
  // A timeout of 0s turns the route timeout off, as Istio's default.
  out.timeout = route.timeout ? durationJson(route.timeout) : '0s';
  const hash = routeHashPolicy(destinations, namespace, ctx);
  const retry = retryPolicy(route.retries, hash !== undefined, ctx.push.mesh.defaultHttpRetryPolicy);
  if (retry) out.retry_policy = retry;
  const mirrors = mirrorPolicies(route, namespace, ctx);
  if (mirrors.length > 0) out.request_mirror_policies = mirrors;
  if (route.rewrite?.uri !== undefined) out.prefix_rewrite = route.rewrite.uri;
  if (route.rewrite?.uriRegexRewrite) out.regex_rewrite = { pattern: { regex: route.rewrite.uriRegexRewrite.match }, substitution: route.rewrite.uriRegexRewrite.rewrite };
  if (route.rewrite?.authority) out.host_rewrite_literal = route.rewrite.authority;
  if (hash) out.hash_policy = hash;
  return out;
}

/** The cluster of a destination: its host resolved in the VirtualService's namespace, its port
 *  given, or the service's only port, or the port of the route configuration. */
export function clusterFor(destination: Destination, namespace: string, ctx: RouteContext): string {
  const host = resolveHost(destination.host, namespace);
  return outboundClusterName(destinationPort(destination, host, ctx), host, destination.subset ?? '');
}

export function destinationPort(destination: Destination, host: string, ctx: RouteContext): number {
  if (destination.port?.number) return destination.port.number;
  const service = ctx.push.registry.byHostname.get(host);
  return service?.ports.length === 1 ? service.ports[0].port : ctx.port;
}

/** The hash key of the destinations' consistent-hash load balancer; with several destinations,
 *  only when they all hash the same way. */
function routeHashPolicy(destinations: HTTPRouteDestination[], namespace: string, ctx: RouteContext): JsonObject[] | undefined {
  const policies = destinations.map((d) => {
    const host = resolveHost(d.destination.host, namespace);
    const service = ctx.push.registry.byHostname.get(host);
    const rule = destinationRuleFor(ctx.push, ctx.proxy.namespace, host, service?.namespace);
    const subset = rule?.spec.subsets?.find((s) => s.name === d.destination.subset);
    return hashPolicy(portPolicy(rule, destinationPort(d.destination, host, ctx), subset).loadBalancer);
  });
  const first = JSON.stringify(policies[0]);
  return policies.every((p) => JSON.stringify(p) === first) ? policies[0] : undefined;
}

/** Istio's retry conditions when a route names none: failures to connect, refused and
 *  cancelled streams, and 503. */
const defaultRetryOn = 'connect-failure,refused-stream,unavailable,cancelled,503';

/** A route's retry policy, as Istio converts it: without a `retries` block the mesh config's
 *  defaultHttpRetryPolicy, or without one Istio's default (two retries on its default
 *  conditions); zero attempts none, else the default with the route's
 *  fields. Retries go to another host than the one that failed, unless the destination hashes
 *  requests to a host (consistent hashing), or the route says otherwise. `retryRemoteLocalities`
 *  becomes Envoy's previous_priorities, a priority avoided after two tries in it, as Istio
 *  writes it. */
export function retryPolicy(routeRetries: HTTPRetry | undefined, consistentHash: boolean, meshDefault?: HTTPRetry): JsonObject | undefined {
  const retries = routeRetries ?? meshDefault;
  if (retries && !retries.attempts) return undefined;
  const conditions = (retries?.retryOn ?? defaultRetryOn)
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  // Istio accepts status codes among the conditions; Envoy wants them as retriable codes.
  const codes = conditions.filter((c) => /^\d+$/.test(c)).map(Number);
  const names = conditions.filter((c) => !/^\d+$/.test(c));
  if (codes.length > 0 && !names.includes('retriable-status-codes')) names.push('retriable-status-codes');
  const otherHost = retries?.retryIgnorePreviousHosts ?? !consistentHash;
  return {
    retry_on: names.join(','),
    num_retries: retries?.attempts ?? 2,
    ...(retries?.perTryTimeout ? { per_try_timeout: durationJson(retries.perTryTimeout) } : {}),
    ...(otherHost ? { retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': typeUrls.previousHostsPredicate } }] } : {}),
    ...(retries?.retryRemoteLocalities
      ? { retry_priority: { name: 'envoy.retry_priorities.previous_priorities', typed_config: { '@type': typeUrls.previousPriorities, update_frequency: 2 } } }
      : {}),
    host_selection_retry_max_attempts: '5',
    ...(codes.length > 0 ? { retriable_status_codes: codes } : {}),
    ...(retries?.backoff ? { retry_back_off: { base_interval: durationJson(retries.backoff) } } : {}),
  };
}

function mirrorPolicies(route: HTTPRoute, namespace: string, ctx: RouteContext): JsonObject[] {
  const mirrors = route.mirrors ?? (route.mirror ? [{ destination: route.mirror, percentage: route.mirrorPercentage }] : []);
  return mirrors.map((m) => {
    const fraction = m.percentage ? fractionalPercent(m.percentage) : route.mirrorPercent !== undefined && !route.mirrors ? { numerator: route.mirrorPercent } : { numerator: 100 };
    return { cluster: clusterFor(m.destination, namespace, ctx), runtime_fraction: { default_value: fraction } };
  });
}

/** Istio's Percent (0-100, fractions allowed) as Envoy's FractionalPercent per million. */
function fractionalPercent(percent: Percent | undefined): JsonObject {
  return { numerator: Math.round((percent?.value ?? 0) * 10000), denominator: 'MILLION' };
}

const grpcCodes: Record<string, number> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/** The HTTP fault filter's per-route config. A delay or abort without a percentage applies to
 *  no request, as Istio reads it. */
function faultConfig(fault: HTTPFaultInjection): JsonObject {
  const out: JsonObject = { '@type': typeUrls.fault };
  if (fault.delay?.fixedDelay) {
    const percentage = fault.delay.percentage ? fractionalPercent(fault.delay.percentage) : { numerator: fault.delay.percent ?? 0 };
    out.delay = { fixed_delay: durationJson(fault.delay.fixedDelay), percentage: withoutZero(percentage) };
  }
  if (fault.abort) {
    const code = fault.abort.httpStatus !== undefined ? { http_status: fault.abort.httpStatus } : fault.abort.grpcStatus !== undefined ? { grpc_status: grpcCodes[fault.abort.grpcStatus] ?? Number(fault.abort.grpcStatus) } : {};
    out.abort = { ...code, percentage: withoutZero(fractionalPercent(fault.abort.percentage)) };
  }
  return out;
}

/** Canonical JSON leaves out a zero numerator. */
function withoutZero(fraction: JsonObject): JsonObject {
  return fraction.numerator === 0 ? Object.fromEntries(Object.entries(fraction).filter(([k]) => k !== 'numerator')) : fraction;
}

/** Header changes of a route, with those of its only destination folded in. */
function headerFields(headers: Headers | undefined, destinationHeaders: Headers | undefined): JsonObject {
  const out: JsonObject = {};
  for (const direction of ['request', 'response'] as const) {
    const ops = [headers?.[direction], destinationHeaders?.[direction]];
    const add = ops.flatMap((op) => [
      ...Object.entries(op?.set ?? {}).map(([key, value]) => ({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
      // Appending is Envoy's default action, so canonical JSON leaves it out.
      ...Object.entries(op?.add ?? {}).map(([key, value]) => ({ header: { key, value } })),
    ]);
    const remove = ops.flatMap((op) => op?.remove ?? []);
    if (add.length > 0) out[`${direction}_headers_to_add`] = add;
    if (remove.length > 0) out[`${direction}_headers_to_remove`] = remove;
  }
  return out;
}
