// Istio's VirtualService (networking.istio.io v1, v1beta1 and v1alpha3 share one schema): how
// requests to a host are routed. The types follow Istio's API field for field; the checks
// reject what Istio's validation rejects.
import {
  bool,
  duration,
  exportTo,
  host,
  integer,
  list,
  map,
  message,
  oneOf,
  oneOfValues,
  percent,
  portNumber,
  regex,
  string,
  stringMap,
  type Check,
  type Fail,
} from './istio-schema.ts';
import { checkIpOrCidr } from './ip-address.ts';
import type { KubeObject } from './kubernetes-types.ts';

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface PortSelector {
  number?: number;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: PortSelector;
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  queryParams?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
  withoutHeaders?: Record<string, StringMatch>;
  sourceNamespace?: string;
  statPrefix?: string;
}

export interface HTTPRouteDestination {
  destination: Destination;
  weight?: number;
  headers?: Headers;
}

export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  port?: number;
  derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  scheme?: string;
  redirectCode?: number;
}

export interface HTTPDirectResponse {
  status: number;
  body?: { string?: string; bytes?: string };
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
  uriRegexRewrite?: { match: string; rewrite: string };
}

export interface HTTPRetry {
  attempts?: number;
  perTryTimeout?: string;
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  retryIgnorePreviousHosts?: boolean;
  /** The base interval of Envoy's exponential back-off between attempts. */
  backoff?: string;
}

export interface Percent {
  value?: number;
}

export interface HTTPFaultInjection {
  delay?: { fixedDelay?: string; exponentialDelay?: string; percentage?: Percent; percent?: number };
  abort?: { httpStatus?: number; grpcStatus?: string; http2Error?: string; percentage?: Percent };
}

export interface HTTPMirrorPolicy {
  destination: Destination;
  percentage?: Percent;
}

export interface CorsPolicy {
  allowOrigins?: StringMatch[];
  allowOrigin?: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
  unmatchedPreflights?: 'UNSPECIFIED' | 'FORWARD' | 'IGNORE';
}

export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: HTTPRedirect;
  directResponse?: HTTPDirectResponse;
  delegate?: { name?: string; namespace?: string };
  rewrite?: HTTPRewrite;
  timeout?: string;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  mirrors?: HTTPMirrorPolicy[];
  mirrorPercentage?: Percent;
  mirrorPercent?: number;
  corsPolicy?: CorsPolicy;
  headers?: Headers;
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

export interface L4MatchAttributes {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TCPRoute {
  match?: L4MatchAttributes[];
  route?: RouteDestination[];
}

export interface TLSRoute {
  match: (L4MatchAttributes & { sniHosts: string[] })[];
  route?: RouteDestination[];
}

export interface VirtualServiceSpec {
  hosts?: string[];
  gateways?: string[];
  http?: HTTPRoute[];
  tls?: TLSRoute[];
  tcp?: TCPRoute[];
  exportTo?: string[];
}

export interface VirtualService extends KubeObject {
  kind: 'VirtualService';
  spec: VirtualServiceSpec;
}

const stringMatch: Check = message({ exact: string, prefix: string, regex }, (value: Record<string, unknown>, at: string, fail: Fail) => oneOf(value, ['exact', 'prefix', 'regex'], at, fail));

// Envoy reads header names in lowercase (HTTP/2 requires it), so a match on "End-User" would
// never match.
const lowercaseHeaderName = (key: string, at: string, fail: Fail) => {
  if (key !== key.toLowerCase()) fail(`${at}.${key}`, 'header names must be lowercase');
  if (key === '') fail(at, 'a header name must not be empty');
};

const destination: Check = message({ host, subset: string, port: message({ number: portNumber }) }, (value: Record<string, unknown>, at: string, fail: Fail) => {
  if (value.host === undefined) fail(`${at}.host`, 'required: the destination needs a host');
});

const headerOperations: Check = message({ set: stringMap, add: stringMap, remove: list(string) });
const headers: Check = message({ request: headerOperations, response: headerOperations });

const httpMatch: Check = message({
  name: string,
  uri: stringMatch,
  scheme: stringMatch,
  method: stringMatch,
  authority: stringMatch,
  headers: map(stringMatch, lowercaseHeaderName),
  port: portNumber,
  sourceLabels: stringMap,
  gateways: list(string),
  queryParams: map(stringMatch),
  ignoreUriCase: bool,
  withoutHeaders: map(stringMatch, lowercaseHeaderName),
  sourceNamespace: string,
  statPrefix: string,
});

const redirectCodes = [301, 302, 303, 307, 308];

const redirect: Check = message(
  {
    uri: string,
    authority: string,
    port: portNumber,
    derivePort: oneOfValues(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']),
    scheme: string,
    redirectCode: (value: unknown, at: string, fail: Fail) => {
      if (!redirectCodes.includes(value as number)) fail(at, `must be one of ${redirectCodes.join(', ')}, got ${JSON.stringify(value)}`);
    },
  },
  (value: Record<string, unknown>, at: string, fail: Fail) => oneOf(value, ['port', 'derivePort'], at, fail),
);

const directResponse: Check = message({ status: integer(200, 599), body: message({ string, bytes: string }, (v: Record<string, unknown>, at: string, fail: Fail) => oneOf(v, ['string', 'bytes'], at, fail)) }, (value: Record<string, unknown>, at: string, fail: Fail) => {
  if (value.status === undefined) fail(`${at}.status`, 'required');
});

const rewrite: Check = message({ uri: string, authority: string, uriRegexRewrite: message({ match: regex, rewrite: string }) }, (value: Record<string, unknown>, at: string, fail: Fail) =>
  oneOf(value, ['uri', 'uriRegexRewrite'], at, fail),
);

// The retry conditions Envoy's router knows (x-envoy-retry-on and x-envoy-retry-grpc-on); Istio
// also accepts plain status codes, which become retriable status codes.
export const retryOnPolicies: ReadonlySet<string> = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

/** An HTTPRetry block, also the mesh config's defaultHttpRetryPolicy. */
export const retries: Check = message({
  attempts: integer(0, 2147483647),
  perTryTimeout: duration(0.001),
  retryOn: (value: unknown, at: string, fail: Fail) => {
    string(value, at, fail);
    for (const policy of (value as string).split(',').map((p) => p.trim())) {
      if (!retryOnPolicies.has(policy) && !/^[1-5]\d\d$/.test(policy)) fail(at, `unknown retry condition ${JSON.stringify(policy)}`);
    }
  },
  retryRemoteLocalities: bool,
  retryIgnorePreviousHosts: bool,
  backoff: duration(0.001),
});

const fault: Check = message(
  {
    delay: message(
      { fixedDelay: duration(0.001), exponentialDelay: duration(0.001), percentage: percent, percent: integer(0, 100) },
      (value: Record<string, unknown>, at: string, fail: Fail) => {
        oneOf(value, ['fixedDelay', 'exponentialDelay'], at, fail, true);
        oneOf(value, ['percentage', 'percent'], at, fail);
      },
    ),
    abort: message({ httpStatus: integer(200, 599), grpcStatus: string, http2Error: string, percentage: percent }, (value: Record<string, unknown>, at: string, fail: Fail) =>
      oneOf(value, ['httpStatus', 'grpcStatus', 'http2Error'], at, fail, true),
    ),
  },
  (value: Record<string, unknown>, at: string, fail: Fail) => {
    if (value.delay === undefined && value.abort === undefined) fail(at, 'needs a delay or an abort');
  },
);

const corsPolicy: Check = message({
  allowOrigins: list(stringMatch),
  allowOrigin: list(string),
  allowMethods: list(string),
  allowHeaders: list(string),
  exposeHeaders: list(string),
  maxAge: duration(0),
  allowCredentials: bool,
  unmatchedPreflights: oneOfValues(['UNSPECIFIED', 'FORWARD', 'IGNORE']),
});

const httpRouteDestination: Check = message({ destination, weight: integer(0, 2147483647), headers }, (value: Record<string, unknown>, at: string, fail: Fail) => {
  if (value.destination === undefined) fail(`${at}.destination`, 'required');
});

const routeDestination: Check = message({ destination, weight: integer(0, 2147483647) }, (value: Record<string, unknown>, at: string, fail: Fail) => {
  if (value.destination === undefined) fail(`${at}.destination`, 'required');
});

/** More than one destination share the traffic by weight, in percent. */
function checkWeights(destinations: unknown, at: string, fail: Fail): void {
  if (!Array.isArray(destinations) || destinations.length < 2) return;
  const total = destinations.reduce((sum: number, d: { weight?: number }) => sum + (d.weight ?? 0), 0);
  if (total !== 100) fail(at, `the weights of the destinations must add up to 100, got ${total}`);
}

const httpRoute: Check = message(
  {
    name: string,
    match: list(httpMatch),
    route: list(httpRouteDestination),
    redirect,
    directResponse,
    delegate: message({ name: string, namespace: string }),
    rewrite,
    timeout: duration(0),
    retries,
    fault,
    mirror: destination,
    mirrors: list(
      message({ destination, percentage: percent }, (v: Record<string, unknown>, at: string, fail: Fail) => {
        if (v.destination === undefined) fail(`${at}.destination`, 'required');
      }),
    ),
    mirrorPercentage: percent,
    mirrorPercent: integer(0, 100),
    corsPolicy,
    headers,
  },
  (value: Record<string, unknown>, at: string, fail: Fail) => {
    const actions = ['route', 'redirect', 'directResponse', 'delegate'].filter((k) => value[k] !== undefined && !(Array.isArray(value[k]) && (value[k] as unknown[]).length === 0));
    if (actions.length === 0) fail(at, 'needs a route (with at least one destination), a redirect, a directResponse or a delegate');
    if (actions.length > 1) fail(at, `only one of route, redirect, directResponse and delegate may be set, got ${actions.join(' and ')}`);
    if (value.redirect !== undefined && value.rewrite !== undefined) fail(at, 'rewrite cannot be used with redirect');
    if (value.mirror !== undefined && value.mirrors !== undefined) fail(at, 'only one of mirror and mirrors may be set');
    checkWeights(value.route, `${at}.route`, fail);
  },
);

const subnet: Check = (value: unknown, at: string, fail: Fail) => {
  string(value, at, fail);
  checkIpOrCidr(value as string, at, fail);
};

const l4Match = { destinationSubnets: list(subnet), port: portNumber, sourceLabels: stringMap, gateways: list(string), sourceNamespace: string };

const tcpRoute: Check = message({ match: list(message(l4Match)), route: list(routeDestination) }, (value: Record<string, unknown>, at: string, fail: Fail) => {
  if (!Array.isArray(value.route) || value.route.length === 0) fail(`${at}.route`, 'required: a TCP route needs at least one destination');
  checkWeights(value.route, `${at}.route`, fail);
});

const tlsRoute: Check = message(
  {
    match: list(
      message({ ...l4Match, sniHosts: list(host) }, (v: Record<string, unknown>, at: string, fail: Fail) => {
        if (!Array.isArray(v.sniHosts) || v.sniHosts.length === 0) fail(`${at}.sniHosts`, 'required: at least one SNI host');
      }),
    ),
    route: list(routeDestination),
  },
  (value: Record<string, unknown>, at: string, fail: Fail) => {
    if (!Array.isArray(value.match) || value.match.length === 0) fail(`${at}.match`, 'required: a TLS route needs at least one match');
    if (!Array.isArray(value.route) || value.route.length === 0) fail(`${at}.route`, 'required: a TLS route needs at least one destination');
    checkWeights(value.route, `${at}.route`, fail);
  },
);

const virtualServiceSpec: Check = message(
  { hosts: list(host), gateways: list(string), http: list(httpRoute), tls: list(tlsRoute), tcp: list(tcpRoute), exportTo },
  (value: Record<string, unknown>, at: string, fail: Fail) => {
    if (!Array.isArray(value.hosts) || value.hosts.length === 0) fail(`${at}.hosts`, 'required: at least one host');
    const routes = ['http', 'tcp', 'tls'].filter((k) => Array.isArray(value[k]) && (value[k] as unknown[]).length > 0);
    if (routes.length === 0) fail(at, 'needs at least one http, tcp or tls route');
  },
);

export function checkVirtualService(object: KubeObject, fail: Fail): void {
  if (object.spec === undefined) fail('spec', 'required mapping is missing');
  virtualServiceSpec(object.spec, 'spec', fail);
}
