import { beforeAll, describe, expect, it } from 'vitest';
import { buildListeners } from './listener-builder.ts';
import { normalize } from '@mizzen/xds';
import { buildRoutes } from './http-route.ts';
import { retryPolicy } from './virtual-service-route.ts';
import { bookinfoPush, codecLoadTimeout, expectGolden, loadEnvoyCodec, podProxy } from './test-fixtures.ts';

// Istio's Bookinfo routing tasks, each as the route configuration 9080 of the proxy that calls
// the routed service: productpage calls reviews, reviews calls ratings.
const productpage = podProxy('productpage-v1-1', '10.244.0.10', { app: 'productpage', version: 'v1' }, 'REDIRECT');
const reviewsV2 = podProxy('reviews-v2-1', '10.244.0.12', { app: 'reviews', version: 'v2' }, 'REDIRECT');

/** Istio's default retry policy, on every outbound route that does not set its own. */
const defaultRetry = {
  retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
  num_retries: 2,
  retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }],
  host_selection_retry_max_attempts: '5',
  retriable_status_codes: [503],
};

type Route = { name?: string; match: Record<string, unknown>; route?: Record<string, unknown>; typed_per_filter_config?: Record<string, unknown>; metadata?: unknown };
type VirtualHost = { name: string; routes: Route[] };

function routesOf(files: string[], proxy = productpage, host = 'reviews.default.svc.cluster.local:9080'): Route[] {
  const [config] = buildRoutes(bookinfoPush('reviews-v3-pod.yaml', 'destination-rule-all.yaml', ...files), proxy, ['9080']);
  const virtualHost = (config.virtual_hosts as VirtualHost[]).find((v) => v.name === host);
  if (!virtualHost) throw new Error(`no virtual host ${host}`);
  return virtualHost.routes;
}

beforeAll(loadEnvoyCodec, codecLoadTimeout);

describe('Bookinfo routing tasks', () => {
  it.each([
    ['all-v1', 'virtual-service-all-v1.yaml', productpage],
    ['reviews-test-v2', 'virtual-service-reviews-test-v2.yaml', productpage],
    ['reviews-50-v3', 'virtual-service-reviews-50-v3.yaml', productpage],
    ['ratings-test-delay', 'virtual-service-ratings-test-delay.yaml', reviewsV2],
    ['ratings-test-abort', 'virtual-service-ratings-test-abort.yaml', reviewsV2],
  ])('%s matches its golden routes', (name, file, proxy) => {
    expectGolden(`routes-task-${name}`, buildRoutes(bookinfoPush('reviews-v3-pod.yaml', 'destination-rule-all.yaml', file), proxy, ['9080']));
  });

  it('sends all traffic to v1, naming the VirtualService in the route metadata', () => {
    expect(routesOf(['virtual-service-all-v1.yaml'])).toEqual([
      {
        match: { prefix: '/' },
        route: { cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local', timeout: '0s', retry_policy: defaultRetry },
        metadata: { filter_metadata: { istio: { config: '/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews' } } },
      },
    ]);
  });

  it('sends jason to v2 and everyone else to v1, in the VirtualService order', () => {
    const routes = routesOf(['virtual-service-reviews-test-v2.yaml']);
    expect(routes.map((r) => [r.match, r.route?.cluster])).toEqual([
      [{ prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] }, 'outbound|9080|v2|reviews.default.svc.cluster.local'],
      [{ prefix: '/' }, 'outbound|9080|v1|reviews.default.svc.cluster.local'],
    ]);
  });

  it('splits traffic between v1 and v3 by weight', () => {
    expect(routesOf(['virtual-service-reviews-50-v3.yaml'])[0].route).toEqual({
      weighted_clusters: {
        clusters: [
          { name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 50 },
          { name: 'outbound|9080|v3|reviews.default.svc.cluster.local', weight: 50 },
        ],
      },
      timeout: '0s',
      retry_policy: defaultRetry,
    });
  });

  it('delays jason by 7s and aborts with 500 through the fault filter', () => {
    const delay = routesOf(['virtual-service-ratings-test-delay.yaml'], reviewsV2, 'ratings.default.svc.cluster.local:9080');
    expect(delay[0].typed_per_filter_config).toEqual({
      'envoy.filters.http.fault': {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
        delay: { fixed_delay: '7s', percentage: { numerator: 1000000, denominator: 'MILLION' } },
      },
    });
    expect(delay[1].typed_per_filter_config).toBeUndefined();
    const abort = routesOf(['virtual-service-ratings-test-abort.yaml'], reviewsV2, 'ratings.default.svc.cluster.local:9080');
    expect(abort[0].typed_per_filter_config?.['envoy.filters.http.fault']).toMatchObject({ abort: { http_status: 500, percentage: { numerator: 1000000, denominator: 'MILLION' } } });
  });

  it('puts the fault filter before the router only when a VirtualService injects faults', () => {
    const filters = (push: ReturnType<typeof bookinfoPush>) => {
      const listener = buildListeners(push, reviewsV2).find((l) => l.name === '0.0.0.0_9080') as { filter_chains: { filters: { typed_config: { http_filters: { name: string }[] } }[] }[] };
      return listener.filter_chains[0].filters[0].typed_config.http_filters.map((f) => f.name);
    };
    expect(filters(bookinfoPush('virtual-service-ratings-test-delay.yaml'))).toEqual(['envoy.filters.http.fault', 'envoy.filters.http.router']);
    expect(filters(bookinfoPush('virtual-service-all-v1.yaml'))).toEqual(['envoy.filters.http.router']);
  });

  it('leaves other hosts on their default route', () => {
    expect(routesOf(['virtual-service-reviews-test-v2.yaml'], productpage, 'ratings.default.svc.cluster.local:9080')).toEqual([
      { name: 'default', match: { prefix: '/' }, route: { cluster: 'outbound|9080||ratings.default.svc.cluster.local', timeout: '0s', retry_policy: defaultRetry } },
    ]);
  });
});

describe('virtual service routes', () => {
  const routes = () => routesOf(['traffic-policy.yaml']);

  it('matches the golden routes of every HTTP route feature', () => {
    expectGolden('routes-traffic-policy', buildRoutes(bookinfoPush('traffic-policy.yaml'), productpage, ['9080']));
  });

  it('makes a route per match, leaving out matches for another port', () => {
    expect(routes().map((r) => [r.name, r.match])).toEqual([
      [
        'api.get',
        {
          prefix: '/api/v1/',
          case_sensitive: false,
          headers: [{ name: ':method', string_match: { exact: 'GET' } }, { name: 'x-canary', present_match: true, invert_match: true }],
          query_parameters: [{ name: 'debug', string_match: { safe_regex: { regex: '^(1|true)$' } } }],
        },
      ],
      ['api', { safe_regex: { regex: '^/reviews/[0-9]+$' }, headers: [{ name: 'cookie', string_match: { safe_regex: { regex: '^(.*?;)?(user=jason)(;.*)?$' } } }] }],
      [undefined, { prefix: '/old' }],
      [undefined, { path: '/teapot' }],
      [undefined, { prefix: '/' }],
    ]);
  });

  it('maps weights, rewrite, timeout, retries, mirror and the consistent hash', () => {
    expect(routes()[0].route).toEqual({
      weighted_clusters: {
        clusters: [
          {
            name: 'outbound|9080|v1|reviews.default.svc.cluster.local',
            weight: 90,
            request_headers_to_add: [{ header: { key: 'x-subset', value: 'v1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
          },
          { name: 'outbound|9080|v2|reviews.default.svc.cluster.local', weight: 10 },
        ],
      },
      timeout: '1.500s',
      retry_policy: {
        retry_on: 'gateway-error,connect-failure,retriable-4xx,reset-before-request,retriable-status-codes',
        num_retries: 3,
        per_try_timeout: '0.500s',
        retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }],
        retry_priority: { name: 'envoy.retry_priorities.previous_priorities', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', update_frequency: 2 } },
        host_selection_retry_max_attempts: '5',
        retriable_status_codes: [503],
      },
      request_mirror_policies: [{ cluster: 'outbound|9080||ratings.default.svc.cluster.local', runtime_fraction: { default_value: { numerator: 125000, denominator: 'MILLION' } } }],
      prefix_rewrite: '/v1/',
      host_rewrite_literal: 'reviews-internal',
    });
    // v1 and v2 hash differently (v1 not at all), so the weighted route has no hash policy;
    // the last route, to v2 alone, hashes on the header v2's subset names.
    expect(routes()[4].route).toMatchObject({ cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local', hash_policy: [{ header: { header_name: 'end-user' } }] });
  });

  it("retries on Istio's default conditions when a route gives attempts only", () => {
    const push = bookinfoPush('virtual-service-all-v1.yaml');
    const vs = push.virtualServices.find((v) => v.metadata.name === 'reviews');
    if (!vs) throw new Error('no reviews VirtualService');
    const retrying = { ...vs, spec: { ...vs.spec, http: [{ ...(vs.spec.http ?? [])[0], retries: { attempts: 2 } }] } };
    const [config] = buildRoutes({ ...push, virtualServices: [retrying] }, productpage, ['9080']);
    const host = (config.virtual_hosts as VirtualHost[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
    expect(host?.routes[0].route?.retry_policy).toMatchObject({ retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', num_retries: 2, retriable_status_codes: [503] });
  });

  it('maps header changes, redirects and direct responses', () => {
    expect(routes()[0]).toMatchObject({
      request_headers_to_add: [{ header: { key: 'x-route', value: 'api' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }, { header: { key: 'x-trace', value: 'on' } }],
      request_headers_to_remove: ['x-debug'],
      response_headers_to_remove: ['x-internal'],
    });
    expect(routes()[2]).toMatchObject({ redirect: { host_redirect: 'productpage', path_redirect: '/new', response_code: 'PERMANENT_REDIRECT' } });
    expect(routes()[3]).toMatchObject({ direct_response: { status: 418, body: { inline_string: 'short and stout' } } });
  });

  it('maps the CORS policy to the CORS filter, which comes before fault and router', () => {
    expect(routes()[0].typed_per_filter_config).toEqual({
      'envoy.filters.http.cors': {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
        allow_origin_string_match: [{ exact: 'https://example.com' }, { safe_regex: { regex: 'https://.*\\.example\\.org' } }],
        allow_methods: 'GET,POST',
        allow_headers: 'x-token',
        max_age: '86400',
        allow_credentials: true,
        filter_enabled: { default_value: { numerator: 100 } },
      },
    });
    const push = bookinfoPush('traffic-policy.yaml', 'virtual-service-ratings-test-abort.yaml');
    const listener = buildListeners(push, productpage).find((l) => l.name === '0.0.0.0_9080') as { filter_chains: { filters: { typed_config: { http_filters: { name: string }[] } }[] }[] };
    expect(listener.filter_chains[0].filters[0].typed_config.http_filters.map((f) => f.name)).toEqual(['envoy.filters.http.cors', 'envoy.filters.http.fault', 'envoy.filters.http.router']);
  });

  it('leaves out delegated routes, which are not followed yet', () => {
    const push = bookinfoPush('traffic-policy.yaml');
    const vs = push.virtualServices.find((v) => v.metadata.name === 'reviews');
    if (!vs) throw new Error('no reviews VirtualService');
    const delegated = { ...vs, spec: { ...vs.spec, http: [{ delegate: { name: 'reviews-routes' } }, ...(vs.spec.http ?? []).slice(-1)] } };
    const [config] = buildRoutes({ ...push, virtualServices: [delegated] }, productpage, ['9080']);
    const host = (config.virtual_hosts as VirtualHost[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
    expect(host?.routes.map((r) => r.route?.cluster)).toEqual(['outbound|9080|v2|reviews.default.svc.cluster.local']);
  });

  it('hashes the default route of a host whose rule asks for it, retrying on the same host', () => {
    const ratings = routesOf(['traffic-policy.yaml'], productpage, 'ratings.default.svc.cluster.local:9080');
    const { retry_host_predicate: _otherHost, ...sameHost } = defaultRetry;
    expect(ratings[0].route).toEqual({
      cluster: 'outbound|9080||ratings.default.svc.cluster.local',
      timeout: '0s',
      retry_policy: sameHost,
      hash_policy: [{ connection_properties: { source_ip: true } }],
    });
  });
});

describe('retry policies', () => {
  it('turns retries off with zero attempts, and keeps the default for a route that says nothing', () => {
    expect(retryPolicy({ attempts: 0 }, false)).toBeUndefined();
    expect(retryPolicy({}, false)).toBeUndefined();
    expect(retryPolicy(undefined, false)).toEqual(defaultRetry);
  });

  it('fills what a retries block leaves out from the default, and takes the rest from it', () => {
    const policy = retryPolicy({ attempts: 4, retryOn: '5xx, 429', retryIgnorePreviousHosts: false, retryRemoteLocalities: true, backoff: '50ms' }, false);
    expect(policy).toEqual({
      retry_on: '5xx,retriable-status-codes',
      num_retries: 4,
      host_selection_retry_max_attempts: '5',
      retriable_status_codes: [429],
      retry_back_off: { base_interval: '0.050s' },
      // retryRemoteLocalities: a priority is avoided after two tries in it.
      retry_priority: {
        name: 'envoy.retry_priorities.previous_priorities',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', update_frequency: 2 },
      },
    });
    // Valid Envoy JSON inside a route.
    const config = { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c', retry_policy: policy } }] }] };
    expect(normalize('envoy.config.route.v3.RouteConfiguration', config)).toEqual(config);
  });

  it('retries on another host unless the destination hashes, or the route asks', () => {
    expect(retryPolicy(undefined, true)?.retry_host_predicate).toBeUndefined();
    expect(retryPolicy({ attempts: 1 }, true)?.retry_host_predicate).toBeUndefined();
    expect(retryPolicy({ attempts: 1, retryIgnorePreviousHosts: true }, true)?.retry_host_predicate).toEqual(defaultRetry.retry_host_predicate);
  });
});
