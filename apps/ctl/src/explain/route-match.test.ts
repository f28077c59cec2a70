import { describe, expect, it } from 'vitest';
import { explainRequest } from './explain-request.ts';
import { pickRoute, pickVirtualHost } from './route-match.ts';

const config = {
  virtual_hosts: [
    { name: 'exact', domains: ['api.example.com', 'api.example.com:8080'], routes: [] },
    { name: 'suffix', domains: ['*.example.com'], routes: [] },
    { name: 'prefix', domains: ['api.*'], routes: [] },
    { name: 'any', domains: ['*'], routes: [] },
  ],
};

describe('pickVirtualHost', () => {
  it('prefers exact domains, then suffix, then prefix wildcards, then *', () => {
    expect(pickVirtualHost(config, 'api.example.com:8080')?.virtualHost.name).toBe('exact');
    // The port is part of the authority: only the prefix wildcard still covers it.
    expect(pickVirtualHost(config, 'api.example.com:9999')?.virtualHost.name).toBe('prefix');
    expect(pickVirtualHost(config, 'www.example.com')?.virtualHost.name).toBe('suffix');
    expect(pickVirtualHost(config, 'api.other.org')?.virtualHost.name).toBe('prefix');
    expect(pickVirtualHost(config, 'elsewhere')?.virtualHost.name).toBe('any');
  });
});

describe('pickRoute', () => {
  const vhost = {
    routes: [
      { name: 'regex', match: { safe_regex: { regex: '/items/[0-9]+' } } },
      { name: 'not-jason', match: { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' }, invert_match: true }], query_parameters: [{ name: 'debug', present_match: true }] } },
      { name: 'exact-path', match: { path: '/login', case_sensitive: false } },
      { name: 'method', match: { prefix: '/', headers: [{ name: ':method', exact_match: 'POST' }] } },
      { name: 'rest', match: { prefix: '/' } },
    ],
  };
  const route = (url: string, headers: string[] = [], method = 'GET') => pickRoute(vhost, explainRequest(url, headers, method))?.route.name;

  it('takes the first route whose path, headers and query match', () => {
    expect(route('http://h/items/42?x=1')).toBe('regex');
    expect(route('http://h/items/abc?debug')).toBe('not-jason');
    expect(route('http://h/items/abc?debug', ['end-user: jason'])).toBe('rest');
    expect(route('http://h/LOGIN')).toBe('exact-path');
    expect(route('http://h/form', [], 'post')).toBe('method');
    expect(route('http://h/')).toBe('rest');
  });
});
