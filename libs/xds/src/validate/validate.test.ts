import { describe, expect, it } from 'vitest';
import { configDump, loadAssignment, outboundCluster, outboundHttpListener, sidecarBootstrap } from '../fixtures/istio-resources.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { XdsError } from '../xds-error.ts';
import { validate, validationProblems } from './validate.ts';

describe('validation rules from the protos', () => {
  it.each([
    [TypeUrl.Listener, outboundHttpListener],
    [TypeUrl.Cluster, outboundCluster],
    [TypeUrl.ClusterLoadAssignment, loadAssignment],
    [TypeUrl.Bootstrap, sidecarBootstrap],
    [TypeUrl.ConfigDump, configDump],
  ])('finds nothing wrong with a sound %s', (type, json) => {
    expect(validationProblems(type, json)).toEqual([]);
  });

  it('checks strings, numbers, wrappers and durations, also where a field is left out', () => {
    const cluster = {
      connect_timeout: '0s',
      type: 'STATIC',
      load_assignment: {
        cluster_name: 'c',
        endpoints: [{ lb_endpoints: [{ load_balancing_weight: 0, endpoint: { address: { socket_address: { address: '', port_value: 70000 } } } }] }],
      },
    };
    const endpoint = 'Cluster.load_assignment.endpoints[0].lb_endpoints[0]';
    expect(validationProblems(TypeUrl.Cluster, cluster)).toEqual([
      'Cluster.name: must not be empty',
      'Cluster.connect_timeout: must be greater than 0s',
      `${endpoint}.endpoint.address.socket_address.address: must not be empty`,
      `${endpoint}.endpoint.address.socket_address.port_value: must be at most 65535`,
      `${endpoint}.load_balancing_weight: must be at least 1`,
    ]);
  });

  it('checks required oneofs, repeated fields and their items', () => {
    const routes = {
      name: '80',
      virtual_hosts: [
        {
          name: 'web',
          domains: [],
          routes: [{ match: {}, route: { cluster: 'web' } }, { match: { prefix: '/' }, route: { weighted_clusters: { clusters: [] } } }],
          request_headers_to_add: [{ header: { key: 'x-ok', value: 'line\nbreak' } }],
        },
      ],
    };
    expect(validationProblems(TypeUrl.RouteConfiguration, routes)).toEqual([
      'RouteConfiguration.virtual_hosts[0].domains: must have an item',
      'RouteConfiguration.virtual_hosts[0].routes[0].match: one of prefix, path, safe_regex, connect_matcher, path_separated_prefix, path_match_policy must be set',
      'RouteConfiguration.virtual_hosts[0].routes[1].route.weighted_clusters.clusters: must have an item',
      'RouteConfiguration.virtual_hosts[0].request_headers_to_add[0].header.value: is not a valid header value',
    ]);
  });

  it('looks inside typed configs', () => {
    const listener = {
      name: 'l',
      filter_chains: [{ filters: [{ name: 'hcm', typed_config: { '@type': TypeUrl.HttpConnectionManager, http_filters: [{ name: '' }] } }] }],
    };
    expect(validationProblems(TypeUrl.Listener, listener)).toEqual([
      'Listener.filter_chains[0].filters[0].typed_config: one of rds, route_config, scoped_routes must be set',
      'Listener.filter_chains[0].filters[0].typed_config.stat_prefix: must not be empty',
      'Listener.filter_chains[0].filters[0].typed_config.http_filters[0].name: must not be empty',
    ]);
  });

  it('validate() returns canonical JSON, or throws with every problem', () => {
    expect(validate(TypeUrl.Cluster, { name: 'c', connectTimeout: '1.5s' })).toEqual({ name: 'c', connect_timeout: '1.500s' });
    expect(() => validate(TypeUrl.Cluster, { connect_timeout: '-1s' })).toThrow(XdsError);
    expect(() => validate(TypeUrl.Cluster, { connect_timeout: '-1s' })).toThrow(
      'Cluster.name: must not be empty; Cluster.connect_timeout: must be greater than 0s',
    );
  });

  it('reports type errors the way normalize() does', () => {
    expect(() => validationProblems(TypeUrl.Cluster, { name: 7 })).toThrow('Cluster.name: expected a string, got 7');
  });
});
