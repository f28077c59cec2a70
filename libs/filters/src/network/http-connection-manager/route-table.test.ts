import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config-error.ts';
import { applyHeaderMutations } from './header-mutations.ts';
import { compileRouteTable, findRoute, findVirtualHost, pickCluster, type ClusterAction, type RouteTable } from './route-table.ts';

function table(virtualHosts: unknown[], extra: object = {}): RouteTable {
  return compileRouteTable({ name: 'test', virtual_hosts: virtualHosts, ...extra });
}

const to = (cluster: string) => ({ route: { cluster } });

function request(path: string, authority = 'example.com', headers: string[] = [], method = 'GET') {
  return { method, path, authority, headers };
}

describe('virtual host selection', () => {
  const t = table([
    { name: 'exact', domains: ['api.example.com', 'api.example.com:8080'], routes: [] },
    { name: 'suffix', domains: ['*.example.com'], routes: [] },
    { name: 'longer-suffix', domains: ['*.api.example.com'], routes: [] },
    { name: 'prefix', domains: ['api.*'], routes: [] },
    { name: 'any', domains: ['*'], routes: [] },
  ]);

  it.each([
    ['api.example.com', 'exact'],
    ['API.Example.com', 'exact'],
    ['api.example.com:8080', 'exact'],
    ['v1.api.example.com', 'longer-suffix'],
    ['www.example.com', 'suffix'],
    ['api.other.org', 'prefix'],
    ['example.com', 'any'],
    ['api.example.com:9090', 'prefix'],
    ['www.example.com:80', 'any'],
  ])('%s goes to %s', (authority, name) => {
    expect(findVirtualHost(t, authority)?.name).toBe(name);
  });

  it('strips the port only when asked to', () => {
    const strict = table([{ name: 'a', domains: ['a.com'], routes: [] }]);
    expect(findVirtualHost(strict, 'a.com:80')).toBeUndefined();
    const loose = table([{ name: 'a', domains: ['a.com'], routes: [] }], { ignore_port_in_host_matching: true });
    expect(findVirtualHost(loose, 'a.com:80')?.name).toBe('a');
  });
});

describe('route matching', () => {
  const t = table([{
    name: 'all',
    domains: ['*'],
    routes: [
      { name: 'exact', match: { path: '/exact' }, ...to('exact') },
      { name: 'regex', match: { safe_regex: { regex: '/items/[0-9]+' } }, ...to('regex') },
      { name: 'header', match: { prefix: '/h', headers: [{ name: 'x-version', string_match: { exact: 'v2' } }] }, ...to('v2') },
      { name: 'absent', match: { prefix: '/h', headers: [{ name: 'x-debug', present_match: true, invert_match: true }] }, ...to('nodebug') },
      { name: 'method', match: { prefix: '/m', headers: [{ name: ':method', exact_match: 'POST' }] }, ...to('post') },
      { name: 'nocase', match: { prefix: '/CaSe', case_sensitive: false }, ...to('case') },
      { name: 'direct', match: { prefix: '/direct' }, direct_response: { status: 418, body: { inline_string: 'teapot' } } },
      { name: 'rest', match: { prefix: '/' }, ...to('default') },
    ],
  }]);
  const route = (path: string, headers: string[] = [], method = 'GET') => findRoute(t, request(path, 'x', headers, method))?.name;

  it('takes the first match in order', () => {
    expect(route('/exact')).toBe('exact');
    expect(route('/exact?q=1')).toBe('exact');
    expect(route('/exactly')).toBe('rest');
    expect(route('/items/42')).toBe('regex');
    expect(route('/items/42x')).toBe('rest');
    expect(route('/h', ['x-version', 'v2'])).toBe('header');
    expect(route('/h', ['x-version', 'v1'])).toBe('absent');
    expect(route('/h', ['x-debug', '1'])).toBe('rest');
    expect(route('/m', [], 'POST')).toBe('method');
    expect(route('/m')).toBe('rest');
    expect(route('/case/x')).toBe('nocase');
  });

  it('keeps direct responses', () => {
    expect(findRoute(t, request('/direct'))?.action).toEqual({ kind: 'direct', status: 418, body: 'teapot' });
  });

  it('splits traffic by weight', () => {
    const w = table([{ name: 'w', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: 90 }, { name: 'b', weight: 10 }] } } }] }]);
    const action = findRoute(w, request('/'))?.action as ClusterAction;
    expect(pickCluster(action, 0)).toBe('a');
    expect(pickCluster(action, 0.899)).toBe('a');
    expect(pickCluster(action, 0.9)).toBe('b');
    expect(pickCluster(action, 0.9999)).toBe('b');
  });

  it('reads rewrite and timeout settings', () => {
    const r = table([{ name: 'r', domains: ['*'], routes: [{ match: { prefix: '/api' }, route: { cluster: 'c', prefix_rewrite: '/', host_rewrite_literal: 'h', timeout: '0s' } }] }]);
    expect(findRoute(r, request('/api/x'))?.action).toMatchObject({ prefixRewrite: '/', hostRewrite: 'h', timeoutMs: 0 });
  });
});

describe('header mutations', () => {
  it('orders route, virtual host and configuration levels', () => {
    const t = compileRouteTable({
      name: 'h',
      request_headers_to_add: [{ header: { key: 'x-level', value: 'config' } }],
      virtual_hosts: [{
        name: 'v', domains: ['*'],
        request_headers_to_add: [{ header: { key: 'x-level', value: 'vhost' } }],
        routes: [{ match: { prefix: '/' }, route: { cluster: 'c' }, request_headers_to_add: [{ header: { key: 'X-Level', value: 'route' } }] }],
      }],
    });
    const route = findRoute(t, request('/'));
    const headers: string[] = [];
    applyHeaderMutations(headers, route?.requestHeaders ?? []);
    expect(headers).toEqual(['x-level', 'route', 'x-level', 'vhost', 'x-level', 'config']);
  });

  it('overwrites, adds when absent and removes', () => {
    const headers = ['a', '1', 'b', '2', 'c', '3'];
    applyHeaderMutations(headers, [{
      add: [
        { name: 'a', value: 'x', action: 'OVERWRITE_IF_EXISTS_OR_ADD', keepEmpty: false },
        { name: 'b', value: 'y', action: 'ADD_IF_ABSENT', keepEmpty: false },
        { name: 'd', value: 'z', action: 'OVERWRITE_IF_EXISTS', keepEmpty: false },
        { name: 'e', value: '', action: 'APPEND_IF_EXISTS_OR_ADD', keepEmpty: false },
      ],
      remove: ['c'],
    }]);
    expect(headers).toEqual(['a', 'x', 'b', '2']);
  });
});

describe('route configuration errors', () => {
  it.each([
    [{ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { retry_on: 'reset,retriable-headers' } } }] }] }, 'RouteConfiguration.virtual_hosts[0].routes[0].route.retry_policy.retry_on: "retriable-headers" is not supported'],
    [{ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', upgrade_configs: [{ upgrade_type: 'CONNECT' }] } }] }] }, 'RouteConfiguration.virtual_hosts[0].routes[0].route.upgrade_configs[0].upgrade_type: CONNECT is not supported'],
    [{ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', hash_policy: [{ header: { header_name: 'x' }, cookie: { name: 'y' } }] } }] }] }, 'route.hash_policy[0]: exactly one of'],
    [{ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', prefix_rewrite: '/', regex_rewrite: { pattern: { regex: 'a' }, substitution: 'b' } } }] }] }, 'only one of prefix_rewrite, regex_rewrite'],
    [{ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' }, typed_per_filter_config: { f: { '@type': 'type.googleapis.com/x.Unknown' } } }] }] }, 'routes[0].typed_per_filter_config["f"]: unknown per-route filter config type'],
    [{ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' } }] }] }, 'exactly one of route, direct_response, redirect'],
    [{ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { safe_regex: { regex: '(' } }, route: { cluster: 'c' } }] }] }, 'match.safe_regex.regex: invalid regular expression'],
    [{ virtual_hosts: [{ name: 'a', domains: ['x'] }, { name: 'b', domains: ['X'] }] }, 'virtual_hosts[1].domains[0]: duplicate domain'],
    [{ virtual_hosts: [{ name: 'a', domains: ['a.*.com'] }] }, 'wildcard only allowed'],
    [{ virtual_hosts: [{ name: 'a', domains: [] }] }, 'at least one domain'],
    [{ virtual_hosts: [{ name: 'a', domains: ['*'], request_headers_to_add: [{ header: { key: 'x', value: '%DOWNSTREAM_REMOTE_ADDRESS%' } }] }] }, 'virtual_hosts[0].request_headers_to_add[0].header.value: substitution commands are not supported'],
    [{ virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, redirect: { response_code: 'GONE' } }] }] }, 'routes[0].redirect.response_code: "GONE" is not supported'],
  ])('rejects %j', (json, message) => {
    expect(() => compileRouteTable({ name: 'r', ...json })).toThrow(ConfigError);
    expect(() => compileRouteTable({ name: 'r', ...json })).toThrow(message);
  });
});

describe('route fields from VirtualServices', () => {
  const table = compileRouteTable({
    name: 'r',
    virtual_hosts: [{
      name: 'v',
      domains: ['*'],
      routes: [
        { match: { prefix: '/', query_parameters: [{ name: 'v', string_match: { exact: '2' } }] }, route: { cluster: 'v2' } },
        { match: { prefix: '/', query_parameters: [{ name: 'debug', present_match: true }] }, route: { cluster: 'debug' } },
        {
          match: { prefix: '/' },
          route: {
            cluster: 'main',
            regex_rewrite: { pattern: { regex: '^/api/(\\w+)/(\\d+)$' }, substitution: '/\\2/\\1' },
            request_mirror_policies: [{ cluster: 'shadow', runtime_fraction: { default_value: { numerator: 25, denominator: 'HUNDRED' } } }],
            hash_policy: [{ header: { header_name: 'X-User' } }, { connection_properties: { source_ip: true }, terminal: true }],
            max_stream_duration: { max_stream_duration: '2.5s' },
          },
        },
      ],
    }],
  });
  const route = (path: string) => findRoute(table, { method: 'GET', path, authority: 'a', headers: [] });

  it('matches query parameters', () => {
    expect((route('/x?v=2')?.action as ClusterAction).cluster).toBe('v2');
    expect((route('/x?v=3&debug')?.action as ClusterAction).cluster).toBe('debug');
    expect((route('/x?v=3')?.action as ClusterAction).cluster).toBe('main');
  });

  it('compiles rewrites, mirrors, hash policies and the stream duration', () => {
    const action = route('/x')?.action as ClusterAction;
    expect('/api/users/42'.replace(action.regexRewrite?.pattern as RegExp, action.regexRewrite?.substitution as string)).toBe('/42/users');
    expect(action.mirrors).toEqual([{ cluster: 'shadow', share: 0.25 }]);
    expect(action.hashPolicy).toEqual([{ kind: 'header', name: 'x-user', terminal: false }, { kind: 'source_ip', terminal: true }]);
    expect(action.maxStreamDurationMs).toBe(2500);
  });
});

describe('require_tls', () => {
  const vhost = (requireTls: string) => ({ name: requireTls, domains: ['*'], require_tls: requireTls, routes: [{ match: { prefix: '/' }, ...to('web') }] });

  it('redirects plain text to https with a 301 under ALL, and routes TLS', () => {
    const t = table([vhost('ALL')]);
    const plain = findRoute(t, request('/a?b=c'));
    expect(plain?.action).toMatchObject({ kind: 'redirect', status: 301, scheme: 'https', host: undefined, path: undefined, stripQuery: false });
    expect(findRoute(t, request('/a', 'example.com', ['x-envoy-internal', 'true']))?.action.kind).toBe('redirect');
    expect(findRoute(t, { ...request('/a'), tls: true })?.action).toMatchObject({ cluster: 'web' });
  });

  it('lets internal requests through in plain text under EXTERNAL_ONLY', () => {
    const t = table([vhost('EXTERNAL_ONLY')]);
    expect(findRoute(t, request('/a'))?.action.kind).toBe('redirect');
    expect(findRoute(t, request('/a', 'example.com', ['x-envoy-internal', 'true']))?.action).toMatchObject({ cluster: 'web' });
  });

  it('routes everything under NONE, and names a bad value', () => {
    expect(findRoute(table([vhost('NONE')]), request('/a'))?.action).toMatchObject({ cluster: 'web' });
    expect(() => table([vhost('SOMETIMES')])).toThrow('RouteConfiguration.virtual_hosts[0].require_tls');
  });
});
