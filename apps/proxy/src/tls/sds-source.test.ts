import { describe, expect, it } from 'vitest';
import { compileSdsConfigSource, sdsClusterTargets, sdsSourceKey } from './sds-source.ts';

const api = (fields: object) => ({ api_config_source: { transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }], ...fields } });

describe('compileSdsConfigSource', () => {
  it('takes ADS as no source, and an api_config_source as the cluster and protocol to stream from', () => {
    expect(compileSdsConfigSource({ ads: {}, resource_api_version: 'V3' }, 'sds_config')).toBeUndefined();
    expect(compileSdsConfigSource(api({ api_type: 'GRPC', set_node_on_first_message_only: true }), 'sds_config')).toEqual({
      clusterName: 'sds-grpc', delta: false, path: 'sds_config.api_config_source.grpc_services[0].envoy_grpc.cluster_name',
    });
    const delta = compileSdsConfigSource(api({ api_type: 'DELTA_GRPC' }), 'sds_config');
    expect(delta?.delta).toBe(true);
    expect(sdsSourceKey(delta!)).not.toBe(sdsSourceKey({ clusterName: 'sds-grpc', delta: false, path: '' }));
  });

  it('rejects what it cannot stream from, naming the field', () => {
    const error = (source: object) => () => compileSdsConfigSource(source as never, 'sds_config');
    expect(error(api({ api_type: 'REST' }))).toThrow('sds_config.api_config_source.api_type: REST is not supported');
    expect(error({ ads: {}, ...api({}) })).toThrow('sds_config: only one of ads and api_config_source');
    expect(error({})).toThrow('sds_config: one of ads and api_config_source is required');
    expect(error({ api_config_source: { api_type: 'GRPC', grpc_services: [] } })).toThrow('sds_config.api_config_source.grpc_services: exactly one');
    expect(error({ api_config_source: { grpc_services: [{ google_grpc: { target_uri: 'x' } }] } })).toThrow('grpc_services[0].google_grpc: not supported');
    expect(error({ api_config_source: { grpc_services: [{ envoy_grpc: {} }] } })).toThrow('grpc_services[0].envoy_grpc.cluster_name');
  });
});

describe('sdsClusterTargets', () => {
  const cluster = (name: string, address: object) => ({ name, load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] } });

  it('dials a pipe as a unix target and a socket address as host:port', () => {
    const targets = sdsClusterTargets({ static_resources: { clusters: [
      cluster('sds-grpc', { pipe: { path: './var/run/secrets/workload-spiffe-uds/socket' } }),
      cluster('tcp', { socket_address: { address: '127.0.0.1', port_value: 8234 } }),
      cluster('v6', { socket_address: { address: '::1', port_value: 8234 } }),
      { name: 'empty' },
    ] } });
    expect(Object.fromEntries(targets)).toEqual({
      'sds-grpc': 'unix:./var/run/secrets/workload-spiffe-uds/socket', tcp: '127.0.0.1:8234', v6: '[::1]:8234',
    });
  });
});
