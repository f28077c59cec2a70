import { arrayAt, dig, isObject, istioConfigName, textAt, type JsonObject } from './json-reading.ts';

export interface RouteFilter {
  name?: string;
}

export interface RouteRow {
  name: string;
  virtualHost: string;
  domains: string;
  match: string;
  virtualService: string;
}

export const routeHeader = ['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'];

/** A route match as istioctl shows it: prefix "/x" as "/x*", an exact path as is, a regex
 *  as such, then any header conditions. */
export function describeRouteMatch(match: unknown): string {
  if (!isObject(match)) return '';
  let text = '';
  if (typeof match.prefix === 'string') text = `${match.prefix}*`;
  else if (typeof match.path === 'string') text = match.path;
  else if (typeof match.path_separated_prefix === 'string') text = `${match.path_separated_prefix}/*`;
  else if (match.safe_regex !== undefined) text = `regex ${textAt(dig(match.safe_regex, 'regex'))}`;
  const headers = arrayAt(match.headers, 'match.headers').map(describeHeaderMatch);
  headers.forEach((header, i) => (text += `${i === 0 ? ' WHERE ' : ' AND '}${header}`));
  return text;
}

function describeHeaderMatch(header: unknown): string {
  const name = textAt(dig(header, 'name'));
  const string = dig(header, 'string_match');
  const exact = textAt(dig(string, 'exact') ?? dig(header, 'exact_match'));
  if (exact) return `${name}=${exact}`;
  const prefix = textAt(dig(string, 'prefix') ?? dig(header, 'prefix_match'));
  if (prefix) return `${name}^${prefix}`;
  const regex = textAt(dig(string, 'safe_regex', 'regex') ?? dig(header, 'safe_regex_match', 'regex'));
  if (regex) return `${name}~${regex}`;
  return dig(header, 'present_match') === true ? `${name} present` : name;
}

/** Istio's domains in short: without the ":PORT" forms and the ".svc..." spellings of a name
 *  also listed short, the first two, then "+ N more...". */
export function describeDomains(domains: string[]): string {
  if (domains.length <= 1) return domains[0] ?? '';
  const withoutPort = domains.filter((d) => !/:\d+$/.test(d));
  const short = withoutPort.filter((d) => !withoutPort.some((other) => other !== d && d.startsWith(`${other}.svc`)));
  const shown = 2;
  if (short.length > shown) return `${short.slice(0, shown).join(', ')} + ${short.length - shown} more...`;
  return short.join(', ');
}

export function selectRouteConfigs(configs: JsonObject[], filter: RouteFilter): JsonObject[] {
  return configs.filter((config) => filter.name === undefined || config.name === filter.name);
}

/** One row per route of each virtual host. */
export function routeRows(configs: JsonObject[], filter: RouteFilter = {}): RouteRow[] {
  return selectRouteConfigs(configs, filter).flatMap((config) => {
    const name = textAt(config.name);
    return arrayAt(config.virtual_hosts, `RouteConfiguration ${name}.virtual_hosts`).flatMap((host, i) => {
      const domains = describeDomains(arrayAt(dig(host, 'domains'), `RouteConfiguration ${name}.virtual_hosts[${i}].domains`).map(textAt));
      const virtualHost = textAt(dig(host, 'name'));
      return arrayAt(dig(host, 'routes'), `RouteConfiguration ${name}.virtual_hosts[${i}].routes`).map((route) => ({
        name,
        virtualHost,
        domains,
        match: describeRouteMatch(dig(route, 'match')),
        virtualService: istioConfigName(route) || (textAt(dig(route, 'direct_response', 'status')) === '404' ? '404' : ''),
      }));
    });
  });
}

/** Route configurations a listener holds inline (Istio's inbound ones), not found under RDS. */
export function inlineRouteConfigs(listeners: JsonObject[]): JsonObject[] {
  const chains = listeners.flatMap((l) => [...arrayAt(l.filter_chains, 'filter_chains'), ...(l.default_filter_chain ? [l.default_filter_chain] : [])]);
  const configs = chains.flatMap((chain) => arrayAt(dig(chain, 'filters'), 'filters').map((f) => dig(f, 'typed_config', 'route_config')).filter(isObject));
  const seen = new Set<string>();
  return configs.filter((config) => {
    // The same named configuration may sit in several chains; unnamed ones are each their own.
    const name = textAt(config.name);
    if (!name) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

export function routeCells(row: RouteRow): string[] {
  return [row.name, row.virtualHost, row.domains, row.match, row.virtualService];
}
