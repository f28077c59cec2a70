import { ConfigError } from '../../config-error.ts';
import {
  asObject, onlyFields, optionalArray, optionalBoolean, optionalDurationMs, optionalInteger, optionalObject, optionalString,
  requiredString, oneOf, type JsonObject,
} from '../../config-reader.ts';
import { getHeader, type HeaderList } from '../../http1/headers.ts';
import { compileRetryPolicy, type RetryPolicy } from '../../http/router/retry-policy.ts';
import { compileRuntimeFraction } from '../../fractional-percent.ts';
import { parsePerRouteConfig } from '../../registry.ts';
import { compileUpgradeConfigs } from './upgrade-config.ts';
import { compileHeaderMutations, NO_MUTATIONS, type HeaderMutations } from './header-mutations.ts';

/** Compiled per-route filter configs by filter name. */
export type PerFilterConfig = ReadonlyMap<string, unknown>;
const NO_FILTER_CONFIG: PerFilterConfig = new Map();

/** A compiled RouteConfiguration: virtual hosts indexed by domain, routes in order. */
export interface RouteTable {
  readonly name: string;
  readonly exact: Map<string, VirtualHost>;
  /** `*.example.com` wildcards, longest suffix first. */
  readonly suffixes: { suffix: string; host: VirtualHost }[];
  /** `example.*` wildcards, longest prefix first. */
  readonly prefixes: { prefix: string; host: VirtualHost }[];
  readonly any: VirtualHost | undefined;
  readonly ignorePortInHostMatching: boolean;
}

export interface VirtualHost {
  readonly name: string;
  readonly routes: RouteEntry[];
  readonly includeAttemptCount: boolean;
  readonly requestHeaders: HeaderMutations;
  readonly responseHeaders: HeaderMutations;
  /** typed_per_filter_config of the virtual host merged over the route configuration's. */
  readonly perFilterConfig: PerFilterConfig;
  /** require_tls: which plain-text requests are redirected to https instead of routed. */
  readonly requireTls: 'NONE' | 'EXTERNAL_ONLY' | 'ALL';
  /** The route those requests take: a 301 to the same URL with the https scheme. */
  tlsRedirect: RouteEntry | undefined;
}

export interface QueryParameterMatcher {
  readonly name: string;
  /** Undefined: the parameter must be present. */
  readonly test: ((value: string) => boolean) | undefined;
}

export interface HeaderMatcher {
  readonly name: string;
  /** Returns whether a present value matches; absent headers are handled by `present`. */
  readonly test: ((value: string) => boolean) | undefined;
  /** For present_match: whether the header must be present (true) or absent (false). */
  readonly present: boolean;
  readonly invert: boolean;
  readonly missingAsEmpty: boolean;
}

/** One hash_policy entry: where the consistent-hash key comes from. */
export type HashPolicy =
  | { readonly kind: 'header'; readonly name: string; readonly terminal: boolean }
  | { readonly kind: 'cookie'; readonly name: string; readonly terminal: boolean }
  | { readonly kind: 'source_ip'; readonly terminal: boolean }
  | { readonly kind: 'query_parameter'; readonly name: string; readonly terminal: boolean };

export interface WeightedCluster {
  readonly name: string;
  readonly weight: number;
  readonly requestHeaders: HeaderMutations;
  readonly responseHeaders: HeaderMutations;
}

export interface ClusterAction {
  readonly kind: 'cluster';
  /** The single cluster, or '' when weighted. */
  readonly cluster: string;
  readonly weighted: WeightedCluster[] | undefined;
  readonly totalWeight: number;
  readonly prefixRewrite: string | undefined;
  readonly hostRewrite: string | undefined;
  /** 0 disables the timeout. */
  readonly timeoutMs: number;
  readonly clusterNotFoundStatus: number;
  readonly retry: RetryPolicy | undefined;
  /** request_mirror_policies: clusters that get a copy of a share of the requests. */
  readonly mirrors: { readonly cluster: string; readonly share: number }[];
  /** regex_rewrite: every match of the pattern in the path (query excluded) is substituted. */
  readonly regexRewrite: { readonly pattern: RegExp; readonly substitution: string } | undefined;
  readonly hashPolicy: HashPolicy[];
  /** max_stream_duration.max_stream_duration; 0 when unset. */
  readonly maxStreamDurationMs: number;
  /** The route's upgrade_configs: type to enabled, over the connection manager's. */
  readonly upgrades: ReadonlyMap<string, boolean>;
}

export interface DirectResponseAction {
  readonly kind: 'direct';
  readonly status: number;
  readonly body: string;
}

export interface RedirectAction {
  readonly kind: 'redirect';
  readonly status: number;
  readonly scheme: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly path: string | undefined;
  readonly prefixRewrite: string | undefined;
  readonly stripQuery: boolean;
}

export interface RouteEntry {
  readonly name: string;
  readonly prefix: string | undefined;
  readonly path: string | undefined;
  readonly regex: RegExp | undefined;
  readonly caseSensitive: boolean;
  readonly headers: HeaderMatcher[];
  readonly queryParameters: QueryParameterMatcher[];
  readonly action: ClusterAction | DirectResponseAction | RedirectAction;
  /** The virtual host this route belongs to (for x-envoy-attempt-count and stats). */
  host: VirtualHost;
  /** Header changes of the route, its virtual host and its route configuration, in that order. */
  requestHeaders: HeaderMutations[];
  responseHeaders: HeaderMutations[];
  /** typed_per_filter_config by filter name, the most specific level winning (route, virtual
   *  host, route configuration), as Envoy resolves it. */
  perFilterConfig: PerFilterConfig;
}

/** The request fields a route can look at. */
export interface RouteRequest {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly headers: HeaderList;
  /** Whether the request came over TLS (for a virtual host's require_tls). */
  readonly tls?: boolean;
}

const FILTER_CONFIG_TYPE_URL = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

/** typed_per_filter_config of one level over the less specific one (`base`). */
function compilePerFilterConfig(obj: JsonObject, path: string, base: PerFilterConfig): PerFilterConfig {
  const configs = optionalObject(obj, 'typed_per_filter_config', path);
  if (!configs || Object.keys(configs).length === 0) return base;
  const merged = new Map(base);
  for (const [name, value] of Object.entries(configs)) {
    const cpath = `${path}.typed_per_filter_config["${name}"]`;
    let config = asObject(value, cpath);
    if (config['@type'] === FILTER_CONFIG_TYPE_URL) {
      // The wrapper only adds is_optional (this proxy knows every filter it accepts).
      onlyFields(config, cpath, ['@type', 'config', 'is_optional']);
      config = asObject(config.config, `${cpath}.config`);
    }
    merged.set(name, parsePerRouteConfig(config, cpath));
  }
  return merged;
}

// Envoy's default route timeout.
const DEFAULT_TIMEOUT_MS = 15_000;

function compileRegex(value: unknown, path: string): RegExp {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['regex', 'google_re2']);
  const source = requiredString(obj, 'regex', path);
  try {
    return new RegExp(`^(?:${source})$`, 'su');
  } catch (err) {
    throw new ConfigError(`${path}.regex`, `invalid regular expression: ${(err as Error).message}`);
  }
}

export function compileStringMatch(obj: JsonObject, path: string): (value: string) => boolean {
  onlyFields(obj, path, ['exact', 'prefix', 'suffix', 'contains', 'safe_regex', 'ignore_case']);
  const ignoreCase = optionalBoolean(obj, 'ignore_case', path) ?? false;
  const norm = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  const keys = ['exact', 'prefix', 'suffix', 'contains', 'safe_regex'].filter((k) => obj[k] !== undefined);
  if (keys.length !== 1) throw new ConfigError(path, 'exactly one of exact, prefix, suffix, contains, safe_regex is required');
  if (keys[0] === 'safe_regex') {
    const re = compileRegex(obj.safe_regex, `${path}.safe_regex`);
    return (v) => re.test(v);
  }
  const expected = norm(optionalString(obj, keys[0], path) ?? '');
  switch (keys[0]) {
    case 'exact': return (v) => norm(v) === expected;
    case 'prefix': return (v) => norm(v).startsWith(expected);
    case 'suffix': return (v) => norm(v).endsWith(expected);
    default: return (v) => norm(v).includes(expected);
  }
}

function compileHeaderMatcher(value: unknown, path: string): HeaderMatcher {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['name', 'exact_match', 'safe_regex_match', 'present_match', 'prefix_match', 'suffix_match',
    'contains_match', 'string_match', 'invert_match', 'treat_missing_header_as_empty']);
  const name = requiredString(obj, 'name', path).toLowerCase();
  const invert = optionalBoolean(obj, 'invert_match', path) ?? false;
  const missingAsEmpty = optionalBoolean(obj, 'treat_missing_header_as_empty', path) ?? false;
  const kinds = ['exact_match', 'safe_regex_match', 'present_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match']
    .filter((k) => obj[k] !== undefined);
  if (kinds.length > 1) throw new ConfigError(path, `only one match kind allowed, got ${kinds.join(', ')}`);
  const kind = kinds[0];
  if (kind === undefined) return { name, test: undefined, present: true, invert, missingAsEmpty };
  if (kind === 'present_match') {
    return { name, test: undefined, present: optionalBoolean(obj, 'present_match', path) ?? true, invert, missingAsEmpty };
  }
  let stringMatch: JsonObject;
  if (kind === 'string_match') stringMatch = asObject(obj.string_match, `${path}.string_match`);
  else if (kind === 'safe_regex_match') stringMatch = { safe_regex: obj.safe_regex_match };
  else stringMatch = { [kind.slice(0, -'_match'.length)]: obj[kind] };
  return { name, test: compileStringMatch(stringMatch, `${path}.${kind}`), present: true, invert, missingAsEmpty };
}

function compileQueryParameterMatcher(value: unknown, path: string): QueryParameterMatcher {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['name', 'string_match', 'present_match']);
  const name = requiredString(obj, 'name', path);
  const match = optionalObject(obj, 'string_match', path);
  if (match && obj.present_match !== undefined) throw new ConfigError(path, 'only one of string_match, present_match');
  if (optionalBoolean(obj, 'present_match', path) === false) throw new ConfigError(`${path}.present_match`, 'false is not supported (leave it out)');
  return { name, test: match ? compileStringMatch(match, `${path}.string_match`) : undefined };
}

/** Rewrites with Envoy's RE2 substitution syntax (\1) into JavaScript's ($1). */
function compileRegexRewrite(obj: JsonObject, path: string): ClusterAction['regexRewrite'] {
  onlyFields(obj, path, ['pattern', 'substitution']);
  const pattern = asObject(obj.pattern, `${path}.pattern`);
  onlyFields(pattern, `${path}.pattern`, ['regex', 'google_re2']);
  const source = requiredString(pattern, 'regex', `${path}.pattern`);
  let re: RegExp;
  try {
    re = new RegExp(source, 'gsu');
  } catch (err) {
    throw new ConfigError(`${path}.pattern.regex`, `invalid regular expression: ${(err as Error).message}`);
  }
  const substitution = (optionalString(obj, 'substitution', path) ?? '').replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
  return { pattern: re, substitution };
}

function compileHashPolicy(value: unknown, path: string): HashPolicy {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['header', 'cookie', 'connection_properties', 'query_parameter', 'terminal']);
  const terminal = optionalBoolean(obj, 'terminal', path) ?? false;
  const kinds = ['header', 'cookie', 'connection_properties', 'query_parameter'].filter((k) => obj[k] !== undefined);
  if (kinds.length !== 1) throw new ConfigError(path, 'exactly one of header, cookie, connection_properties, query_parameter is required');
  const kpath = `${path}.${kinds[0]}`;
  const spec = asObject(obj[kinds[0]], kpath);
  switch (kinds[0]) {
    case 'header':
      onlyFields(spec, kpath, ['header_name']);
      return { kind: 'header', name: requiredString(spec, 'header_name', kpath).toLowerCase(), terminal };
    case 'cookie':
      // ttl and path shape the cookie Envoy sets when it is absent; this proxy never sets it,
      // so such a request has no key and goes to a random host.
      onlyFields(spec, kpath, ['name', 'ttl', 'path']);
      optionalDurationMs(spec, 'ttl', kpath);
      return { kind: 'cookie', name: requiredString(spec, 'name', kpath), terminal };
    case 'connection_properties':
      onlyFields(spec, kpath, ['source_ip']);
      if (optionalBoolean(spec, 'source_ip', kpath) !== true) throw new ConfigError(`${kpath}.source_ip`, 'must be true');
      return { kind: 'source_ip', terminal };
    default:
      onlyFields(spec, kpath, ['name']);
      return { kind: 'query_parameter', name: requiredString(spec, 'name', kpath), terminal };
  }
}

function compileMirror(value: unknown, path: string): ClusterAction['mirrors'][number] {
  const obj = asObject(value, path);
  // trace_sampled only concerns tracing, which this proxy does not do.
  onlyFields(obj, path, ['cluster', 'runtime_fraction', 'trace_sampled']);
  return { cluster: requiredString(obj, 'cluster', path), share: compileRuntimeFraction(obj, 'runtime_fraction', path) ?? 1 };
}

const NOT_FOUND_CODES = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 } as const;

function compileRouteAction(obj: JsonObject, path: string): ClusterAction {
  onlyFields(obj, path, ['cluster', 'weighted_clusters', 'prefix_rewrite', 'host_rewrite_literal', 'timeout', 'cluster_not_found_response_code', 'retry_policy',
    'request_mirror_policies', 'regex_rewrite', 'hash_policy', 'max_stream_duration', 'upgrade_configs']);
  if (obj.prefix_rewrite !== undefined && obj.regex_rewrite !== undefined) throw new ConfigError(path, 'only one of prefix_rewrite, regex_rewrite');
  const cluster = optionalString(obj, 'cluster', path);
  const weightedJson = optionalObject(obj, 'weighted_clusters', path);
  if ((cluster === undefined) === (weightedJson === undefined)) throw new ConfigError(path, 'exactly one of cluster, weighted_clusters is required');
  let weighted: WeightedCluster[] | undefined;
  let totalWeight = 0;
  if (weightedJson) {
    const wpath = `${path}.weighted_clusters`;
    onlyFields(weightedJson, wpath, ['clusters', 'total_weight']);
    weighted = optionalArray(weightedJson, 'clusters', wpath).map((c, i) => {
      const cpath = `${wpath}.clusters[${i}]`;
      const co = asObject(c, cpath);
      onlyFields(co, cpath, ['name', 'weight', 'request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove']);
      return {
        name: requiredString(co, 'name', cpath),
        weight: optionalInteger(co, 'weight', cpath) ?? 0,
        requestHeaders: compileHeaderMutations(co, 'request', cpath),
        responseHeaders: compileHeaderMutations(co, 'response', cpath),
      };
    });
    totalWeight = weighted.reduce((sum, c) => sum + c.weight, 0);
    if (weighted.length === 0 || totalWeight === 0) throw new ConfigError(`${wpath}.clusters`, 'needs at least one cluster with a positive weight');
  }
  const notFound = oneOf(obj, 'cluster_not_found_response_code', path, ['SERVICE_UNAVAILABLE', 'NOT_FOUND', 'INTERNAL_SERVER_ERROR'], 'SERVICE_UNAVAILABLE');
  return {
    kind: 'cluster',
    cluster: cluster ?? '',
    weighted,
    totalWeight,
    prefixRewrite: optionalString(obj, 'prefix_rewrite', path),
    hostRewrite: optionalString(obj, 'host_rewrite_literal', path),
    timeoutMs: optionalDurationMs(obj, 'timeout', path) ?? DEFAULT_TIMEOUT_MS,
    clusterNotFoundStatus: NOT_FOUND_CODES[notFound],
    retry: obj.retry_policy === undefined ? undefined : compileRetryPolicy(asObject(obj.retry_policy, `${path}.retry_policy`), `${path}.retry_policy`),
    mirrors: optionalArray(obj, 'request_mirror_policies', path).map((m, i) => compileMirror(m, `${path}.request_mirror_policies[${i}]`)),
    regexRewrite: obj.regex_rewrite === undefined ? undefined : compileRegexRewrite(asObject(obj.regex_rewrite, `${path}.regex_rewrite`), `${path}.regex_rewrite`),
    hashPolicy: optionalArray(obj, 'hash_policy', path).map((h, i) => compileHashPolicy(h, `${path}.hash_policy[${i}]`)),
    maxStreamDurationMs: compileMaxStreamDuration(obj, path),
    upgrades: compileUpgradeConfigs(obj, path),
  };
}

function compileMaxStreamDuration(obj: JsonObject, path: string): number {
  const msd = optionalObject(obj, 'max_stream_duration', path);
  if (!msd) return 0;
  onlyFields(msd, `${path}.max_stream_duration`, ['max_stream_duration']);
  return optionalDurationMs(msd, 'max_stream_duration', `${path}.max_stream_duration`) ?? 0;
}

function compileDirectResponse(obj: JsonObject, path: string): DirectResponseAction {
  onlyFields(obj, path, ['status', 'body']);
  const status = optionalInteger(obj, 'status', path, 100, 599);
  if (status === undefined) throw new ConfigError(`${path}.status`, 'required');
  const body = optionalObject(obj, 'body', path);
  let text = '';
  if (body) {
    onlyFields(body, `${path}.body`, ['inline_string', 'inline_bytes']);
    const bytes = optionalString(body, 'inline_bytes', `${path}.body`);
    text = optionalString(body, 'inline_string', `${path}.body`) ?? (bytes ? Buffer.from(bytes, 'base64').toString('latin1') : '');
  }
  return { kind: 'direct', status, body: text };
}

const REDIRECT_CODES = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 } as const;

function compileRedirect(obj: JsonObject, path: string): RedirectAction {
  onlyFields(obj, path, ['https_redirect', 'scheme_redirect', 'host_redirect', 'port_redirect', 'path_redirect', 'prefix_rewrite', 'response_code', 'strip_query']);
  const code = oneOf(obj, 'response_code', path, ['MOVED_PERMANENTLY', 'FOUND', 'SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'], 'MOVED_PERMANENTLY');
  const pathRedirect = optionalString(obj, 'path_redirect', path);
  const prefixRewrite = optionalString(obj, 'prefix_rewrite', path);
  if (pathRedirect !== undefined && prefixRewrite !== undefined) throw new ConfigError(path, 'only one of path_redirect, prefix_rewrite');
  return {
    kind: 'redirect',
    status: REDIRECT_CODES[code],
    scheme: optionalBoolean(obj, 'https_redirect', path) ? 'https' : optionalString(obj, 'scheme_redirect', path),
    host: optionalString(obj, 'host_redirect', path),
    port: optionalInteger(obj, 'port_redirect', path, 0, 65535),
    path: pathRedirect,
    prefixRewrite,
    stripQuery: optionalBoolean(obj, 'strip_query', path) ?? false,
  };
}

function compileRoute(value: unknown, path: string, host: VirtualHost, config: { request: HeaderMutations; response: HeaderMutations }): RouteEntry {
  const obj = asObject(value, path);
  // decorator and metadata only describe the route (tracing, config origin); nothing to enforce.
  onlyFields(obj, path, ['name', 'match', 'route', 'direct_response', 'redirect', 'decorator', 'metadata', 'request_headers_to_add',
    'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove', 'typed_per_filter_config']);
  const match = optionalObject(obj, 'match', path);
  if (!match) throw new ConfigError(`${path}.match`, 'required');
  const mpath = `${path}.match`;
  onlyFields(match, mpath, ['prefix', 'path', 'safe_regex', 'case_sensitive', 'headers', 'query_parameters']);
  const specifiers = ['prefix', 'path', 'safe_regex'].filter((k) => match[k] !== undefined);
  if (specifiers.length !== 1) throw new ConfigError(mpath, 'exactly one of prefix, path, safe_regex is required');
  const caseSensitive = optionalBoolean(match, 'case_sensitive', mpath) ?? true;
  const lower = (s: string | undefined): string | undefined => (s === undefined || caseSensitive ? s : s.toLowerCase());
  const routeJson = optionalObject(obj, 'route', path);
  const directJson = optionalObject(obj, 'direct_response', path);
  const redirectJson = optionalObject(obj, 'redirect', path);
  if ([routeJson, directJson, redirectJson].filter((a) => a !== undefined).length !== 1) {
    throw new ConfigError(path, 'exactly one of route, direct_response, redirect is required');
  }
  let action: RouteEntry['action'];
  if (routeJson) action = compileRouteAction(routeJson, `${path}.route`);
  else if (redirectJson) action = compileRedirect(redirectJson, `${path}.redirect`);
  else action = compileDirectResponse(directJson as JsonObject, `${path}.direct_response`);
  return {
    name: optionalString(obj, 'name', path) ?? '',
    prefix: lower(optionalString(match, 'prefix', mpath)),
    path: lower(optionalString(match, 'path', mpath)),
    regex: match.safe_regex === undefined ? undefined : compileRegex(match.safe_regex, `${mpath}.safe_regex`),
    caseSensitive,
    headers: optionalArray(match, 'headers', mpath).map((h, i) => compileHeaderMatcher(h, `${mpath}.headers[${i}]`)),
    queryParameters: optionalArray(match, 'query_parameters', mpath).map((q, i) => compileQueryParameterMatcher(q, `${mpath}.query_parameters[${i}]`)),
    action,
    host,
    requestHeaders: [compileHeaderMutations(obj, 'request', path), host.requestHeaders, config.request].filter((m) => m !== NO_MUTATIONS),
    responseHeaders: [compileHeaderMutations(obj, 'response', path), host.responseHeaders, config.response].filter((m) => m !== NO_MUTATIONS),
    perFilterConfig: compilePerFilterConfig(obj, path, host.perFilterConfig),
  };
}

/** Compiles a RouteConfiguration (Envoy JSON) or throws a ConfigError naming the field. */
export function compileRouteTable(json: unknown, path = 'RouteConfiguration'): RouteTable {
  const obj = asObject(json, path);
  onlyFields(obj, path, ['@type', 'name', 'virtual_hosts', 'validate_clusters', 'ignore_port_in_host_matching', 'request_headers_to_add',
    'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove', 'typed_per_filter_config']);
  const configHeaders = { request: compileHeaderMutations(obj, 'request', path), response: compileHeaderMutations(obj, 'response', path) };
  const configFilters = compilePerFilterConfig(obj, path, NO_FILTER_CONFIG);
  const table: RouteTable = {
    name: optionalString(obj, 'name', path) ?? '',
    exact: new Map(),
    suffixes: [],
    prefixes: [],
    any: undefined,
    ignorePortInHostMatching: optionalBoolean(obj, 'ignore_port_in_host_matching', path) ?? false,
  };
  let any: VirtualHost | undefined;
  const seen = new Set<string>();
  optionalArray(obj, 'virtual_hosts', path).forEach((v, i) => {
    const vpath = `${path}.virtual_hosts[${i}]`;
    const vo = asObject(v, vpath);
    onlyFields(vo, vpath, ['name', 'domains', 'routes', 'include_request_attempt_count', 'request_headers_to_add', 'request_headers_to_remove',
      'response_headers_to_add', 'response_headers_to_remove', 'typed_per_filter_config', 'require_tls']);
    const host: VirtualHost = {
      name: requiredString(vo, 'name', vpath),
      routes: [],
      includeAttemptCount: optionalBoolean(vo, 'include_request_attempt_count', vpath) ?? false,
      requestHeaders: compileHeaderMutations(vo, 'request', vpath),
      responseHeaders: compileHeaderMutations(vo, 'response', vpath),
      perFilterConfig: compilePerFilterConfig(vo, vpath, configFilters),
      requireTls: oneOf(vo, 'require_tls', vpath, ['NONE', 'EXTERNAL_ONLY', 'ALL'], 'NONE'),
      tlsRedirect: undefined,
    };
    if (host.requireTls !== 'NONE') host.tlsRedirect = compileRoute({ match: { prefix: '/' }, redirect: { https_redirect: true } }, `${vpath}.require_tls`, host, configHeaders);
    optionalArray(vo, 'routes', vpath).forEach((r, j) => host.routes.push(compileRoute(r, `${vpath}.routes[${j}]`, host, configHeaders)));
    const domains = optionalArray(vo, 'domains', vpath);
    if (domains.length === 0) throw new ConfigError(`${vpath}.domains`, 'at least one domain is required');
    domains.forEach((d, j) => {
      const dpath = `${vpath}.domains[${j}]`;
      if (typeof d !== 'string' || d === '') throw new ConfigError(dpath, 'must be a non-empty string');
      const domain = d.toLowerCase();
      if (seen.has(domain)) throw new ConfigError(dpath, `duplicate domain "${d}" in route configuration "${table.name}"`);
      seen.add(domain);
      if (domain === '*') any = host;
      else if (domain.startsWith('*')) table.suffixes.push({ suffix: domain.slice(1), host });
      else if (domain.endsWith('*')) table.prefixes.push({ prefix: domain.slice(0, -1), host });
      else if (domain.includes('*')) throw new ConfigError(dpath, `wildcard only allowed at the start or end: "${d}"`);
      else table.exact.set(domain, host);
    });
  });
  table.suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
  table.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  return { ...table, any };
}

/** Picks the virtual host for an authority, with Envoy's precedence: exact, longest
 *  `*suffix`, longest `prefix*`, then `*`. */
export function findVirtualHost(table: RouteTable, authority: string): VirtualHost | undefined {
  let host = authority.toLowerCase();
  if (table.ignorePortInHostMatching) {
    const colon = host.lastIndexOf(':');
    if (colon > 0 && host.indexOf(']', colon) === -1) host = host.slice(0, colon);
  }
  const exact = table.exact.get(host);
  if (exact) return exact;
  for (const s of table.suffixes) if (host.length > s.suffix.length && host.endsWith(s.suffix)) return s.host;
  for (const p of table.prefixes) if (host.length > p.prefix.length && host.startsWith(p.prefix)) return p.host;
  return table.any;
}

function pseudoHeader(request: RouteRequest, name: string): string | undefined {
  switch (name) {
    case ':method': return request.method;
    case ':path': return request.path;
    case ':authority': return request.authority;
    case ':scheme': return 'http';
    default: return getHeader(request.headers, name);
  }
}

function headersMatch(matchers: HeaderMatcher[], request: RouteRequest): boolean {
  for (const m of matchers) {
    let value = m.name.charCodeAt(0) === 0x3a ? pseudoHeader(request, m.name) : getHeader(request.headers, m.name);
    if (value === undefined && m.missingAsEmpty) value = '';
    let ok: boolean;
    if (m.test === undefined) ok = (value !== undefined) === m.present;
    else ok = value !== undefined && m.test(value);
    if (ok === m.invert) return false;
  }
  return true;
}

function queryMatches(matchers: QueryParameterMatcher[], query: string): boolean {
  const params = new URLSearchParams(query);
  for (const m of matchers) {
    const value = params.get(m.name);
    if (value === null || (m.test !== undefined && !m.test(value))) return false;
  }
  return true;
}

function routeMatches(route: RouteEntry, request: RouteRequest, pathOnly: string): boolean {
  const path = route.caseSensitive ? pathOnly : pathOnly.toLowerCase();
  if (route.prefix !== undefined) {
    if (!path.startsWith(route.prefix)) return false;
  } else if (route.path !== undefined) {
    if (path !== route.path) return false;
  } else if (route.regex !== undefined && !route.regex.test(pathOnly)) return false;
  if (route.headers.length > 0 && !headersMatch(route.headers, request)) return false;
  return route.queryParameters.length === 0 || queryMatches(route.queryParameters, request.path.slice(pathOnly.length + 1));
}

/** The first route of the matching virtual host that matches the request, as Envoy does. */
export function findRoute(table: RouteTable, request: RouteRequest): RouteEntry | undefined {
  const host = findVirtualHost(table, request.authority);
  if (!host) return undefined;
  // Envoy's require_tls: plain text is redirected, all of it or what is not marked internal.
  if (host.tlsRedirect && !request.tls && (host.requireTls === 'ALL' || getHeader(request.headers, 'x-envoy-internal') !== 'true')) return host.tlsRedirect;
  const q = request.path.indexOf('?');
  const pathOnly = q === -1 ? request.path : request.path.slice(0, q);
  for (const route of host.routes) if (routeMatches(route, request, pathOnly)) return route;
  return undefined;
}

/** The cluster a route sends this request to (a weighted pick when the route splits traffic). */
export function pickCluster(action: ClusterAction, random: number): string {
  return pickWeighted(action, random)?.name ?? action.cluster;
}

/** The weighted cluster entry picked, or undefined for a single-cluster route. */
export function pickWeighted(action: ClusterAction, random: number): WeightedCluster | undefined {
  if (!action.weighted) return undefined;
  let point = random * action.totalWeight;
  for (const c of action.weighted) {
    if (point < c.weight) return c;
    point -= c.weight;
  }
  return action.weighted[action.weighted.length - 1];
}
