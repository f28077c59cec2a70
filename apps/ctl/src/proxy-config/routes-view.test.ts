import { describe, expect, it } from 'vitest';
import { configDumpSections } from './config-dump-sections.ts';
import { fixtureDump } from './fixtures.ts';
import { describeDomains, describeRouteMatch, inlineRouteConfigs, routeCells, routeRows } from './routes-view.ts';

const envoy = configDumpSections(fixtureDump('envoy-dump'));
const istiod = configDumpSections(fixtureDump('istiod-dump'));

describe('route view', () => {
  it('shortens domains as istioctl does', () => {
    expect(describeDomains([])).toBe('');
    expect(describeDomains(['*'])).toBe('*');
    expect(
      describeDomains(['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local:9080', 'reviews', 'reviews:9080', 'reviews.default.svc', 'reviews.default.svc:9080', 'reviews.default', 'reviews.default:9080', '10.96.0.11', '10.96.0.11:9080']),
    ).toBe('reviews, reviews.default + 1 more...');
    expect(describeDomains(['example.com', 'example.com:80'])).toBe('example.com');
  });

  it('describes matches', () => {
    expect(describeRouteMatch({ prefix: '/' })).toBe('/*');
    expect(describeRouteMatch({ prefix: '/reviews' })).toBe('/reviews*');
    expect(describeRouteMatch({ path: '/api/v1/products/' })).toBe('/api/v1/products/');
    expect(describeRouteMatch({ safe_regex: { regex: '/a.*' } })).toBe('regex /a.*');
    expect(describeRouteMatch({ prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }, { name: 'x', present_match: true }] })).toBe(
      '/* WHERE end-user=jason AND x present',
    );
  });

  it('shows a row per route of an Envoy dump, with virtual services', () => {
    expect(routeRows(envoy.routes).map(routeCells)).toEqual([
      ['8080', 'api.shop.svc.cluster.local:8080', 'api, api.shop + 1 more...', '/api/v1/products/* WHERE x-canary=yes', 'api-routes.shop'],
      ['8080', 'api.shop.svc.cluster.local:8080', 'api, api.shop + 1 more...', '/version', 'api-routes.shop'],
      ['8080', 'api.shop.svc.cluster.local:8080', 'api, api.shop + 1 more...', 'regex /legacy/.*', ''],
      ['8080', 'block_all', '*', '/*', '404'],
    ]);
  });

  it("shows istiod's routes, and inbound ones inline in listeners", () => {
    const rows = routeRows([...istiod.routes, ...inlineRouteConfigs(istiod.listeners)]).map(routeCells);
    expect(rows).toContainEqual(['9080', 'reviews.default.svc.cluster.local:9080', 'reviews, reviews.default + 1 more...', '/*', 'reviews.default']);
    expect(rows).toContainEqual(['inbound|9080||', 'inbound|http|9080', '*', '/*', '']);
    expect(routeRows(istiod.routes, { name: 'inbound|9080||' })).toEqual([]);
    expect(routeRows(istiod.routes, { name: '9080' }).length).toBe(rows.length - 1);
  });

  it('keeps unnamed inline configurations apart', () => {
    expect(inlineRouteConfigs(envoy.listeners)).toHaveLength(1);
    const unnamed = { filters: [{ typed_config: { route_config: { virtual_hosts: [] } } }] };
    expect(inlineRouteConfigs([{ filter_chains: [unnamed, unnamed] }])).toHaveLength(2);
  });
});
