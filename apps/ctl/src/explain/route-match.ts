import { arrayAt, isObject, textAt, type JsonObject } from '../proxy-config/json-reading.ts';
import type { ExplainRequest } from './explain-request.ts';
import { describeStringMatch, fullRegexMatch, stringMatches } from './string-match.ts';

/**
 * The virtual host for an authority, as Envoy picks it: an exact domain, else the longest
 * suffix wildcard (`*.example.com`), else the longest prefix wildcard (`example.*`), else `*`.
 * The authority keeps its port, as Envoy does unless told to strip it (Istio lists each name
 * with and without the port).
 */
export function pickVirtualHost(routeConfig: JsonObject, authority: string): { virtualHost: JsonObject; domain: string } | undefined {
  return bestDomain(arrayAt(routeConfig.virtual_hosts, 'virtual_hosts').filter(isObject), authority.toLowerCase());
}

function bestDomain(hosts: JsonObject[], authority: string): { virtualHost: JsonObject; domain: string } | undefined {
  let best: { virtualHost: JsonObject; domain: string; rank: number } | undefined;
  for (const virtualHost of hosts) {
    for (const domain of arrayAt(virtualHost.domains, 'domains').map((d) => String(d).toLowerCase())) {
      let rank = -1;
      if (domain === authority) rank = 3_000_000;
      else if (domain === '*') rank = 0;
      else if (domain.startsWith('*') && authority.endsWith(domain.slice(1)) && authority.length > domain.length - 1) rank = 2_000_000 + domain.length;
      else if (domain.endsWith('*') && authority.startsWith(domain.slice(0, -1)) && authority.length > domain.length - 1) rank = 1_000_000 + domain.length;
      if (rank >= 0 && (!best || rank > best.rank)) best = { virtualHost, domain, rank };
    }
  }
  return best && { virtualHost: best.virtualHost, domain: best.domain };
}

/** The first route whose match the request satisfies, as Envoy tries them, in order. */
export function pickRoute(virtualHost: JsonObject, request: ExplainRequest): { route: JsonObject; index: number } | undefined {
  const routes = arrayAt(virtualHost.routes, 'routes').filter(isObject);
  const index = routes.findIndex((route) => routeMatches(isObject(route.match) ? route.match : {}, request));
  return index < 0 ? undefined : { route: routes[index], index };
}

function routeMatches(match: JsonObject, request: ExplainRequest): boolean {
  const path = request.path;
  const pathOnly = path.split('?')[0];
  const caseSensitive = match.case_sensitive !== false;
  const fold = (s: string) => (caseSensitive ? s : s.toLowerCase());
  if (match.prefix !== undefined && !fold(path).startsWith(fold(textAt(match.prefix)))) return false;
  if (match.path !== undefined && fold(pathOnly) !== fold(textAt(match.path))) return false;
  if (isObject(match.safe_regex) && !fullRegexMatch(textAt(match.safe_regex.regex), pathOnly)) return false;
  if (match.path_separated_prefix !== undefined) {
    const prefix = textAt(match.path_separated_prefix);
    if (!(pathOnly === prefix || pathOnly.startsWith(`${prefix}/`))) return false;
  }
  for (const header of arrayAt(match.headers, 'headers').filter(isObject)) {
    if (headerMatches(header, request.headers[textAt(header.name).toLowerCase()]) === (header.invert_match === true)) return false;
  }
  const query = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
  for (const parameter of arrayAt(match.query_parameters, 'query_parameters').filter(isObject)) {
    const value = query.get(textAt(parameter.name));
    if (parameter.present_match === true ? value === null : value === null || (isObject(parameter.string_match) && !stringMatches(parameter.string_match, value))) return false;
  }
  return true;
}

/** Envoy's HeaderMatcher, the current and the older spellings. */
function headerMatches(header: JsonObject, value: string | undefined): boolean {
  if (header.present_match !== undefined) return (value !== undefined) === (header.present_match === true);
  if (value === undefined) return false;
  if (isObject(header.string_match)) return stringMatches(header.string_match, value);
  if (header.exact_match !== undefined) return value === textAt(header.exact_match);
  if (header.prefix_match !== undefined) return value.startsWith(textAt(header.prefix_match));
  if (header.suffix_match !== undefined) return value.endsWith(textAt(header.suffix_match));
  if (header.contains_match !== undefined) return value.includes(textAt(header.contains_match));
  if (isObject(header.safe_regex_match)) return fullRegexMatch(textAt(header.safe_regex_match.regex), value);
  return true;
}

/** A route's match in words: `prefix "/" and header end-user exact "jason"`. */
export function describeRouteMatch(match: unknown): string {
  if (!isObject(match)) return 'everything';
  const parts: string[] = [];
  for (const kind of ['prefix', 'path', 'path_separated_prefix']) if (match[kind] !== undefined) parts.push(`${kind.replaceAll('_', ' ')} ${JSON.stringify(match[kind])}`);
  if (isObject(match.safe_regex)) parts.push(`path regex ${JSON.stringify(match.safe_regex.regex)}`);
  for (const header of arrayAt(match.headers, 'headers').filter(isObject)) {
    const how = isObject(header.string_match)
      ? describeStringMatch(header.string_match)
      : header.present_match !== undefined
        ? 'present'
        : header.exact_match !== undefined
          ? `exact ${JSON.stringify(header.exact_match)}`
          : 'matches';
    parts.push(`header ${textAt(header.name)} ${header.invert_match === true ? 'not ' : ''}${how}`);
  }
  for (const parameter of arrayAt(match.query_parameters, 'query_parameters').filter(isObject)) {
    parts.push(`query ${textAt(parameter.name)} ${isObject(parameter.string_match) ? describeStringMatch(parameter.string_match) : 'present'}`);
  }
  return parts.join(' and ') || 'everything';
}
