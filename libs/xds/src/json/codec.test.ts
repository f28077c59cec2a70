import { describe, expect, it } from 'vitest';
import { configDump, loadAssignment, outboundCluster, outboundHttpListener, sidecarBootstrap } from '../fixtures/istio-resources.ts';
import { lookupMessage } from '../proto/proto-root.ts';
import { TypeUrl } from '../resources/type-url.ts';
import { XdsError } from '../xds-error.ts';
import { decode, encode, normalize, packAny, unpackAny } from './codec.ts';

const resources = [
  ['Listener', TypeUrl.Listener, outboundHttpListener],
  ['Cluster', TypeUrl.Cluster, outboundCluster],
  ['ClusterLoadAssignment', TypeUrl.ClusterLoadAssignment, loadAssignment],
  ['Bootstrap', TypeUrl.Bootstrap, sidecarBootstrap],
  ['ConfigDump', TypeUrl.ConfigDump, configDump],
] as const;

describe('round trips of real resources', () => {
  it.each(resources)('%s is canonical already, so normalize keeps it', (_name, url, json) => {
    expect(normalize(url, json)).toEqual(json);
  });

  it.each(resources)('%s survives binary', (_name, url, json) => {
    const bytes = encode(url, json);
    expect(bytes.length).toBeGreaterThan(50);
    expect(decode(url, bytes)).toEqual(json);
  });

  it('packs and unpacks an Any', () => {
    const packed = packAny({ '@type': TypeUrl.Cluster, ...outboundCluster });
    expect(packed.type_url).toBe(TypeUrl.Cluster);
    expect(unpackAny(packed)).toEqual({ '@type': TypeUrl.Cluster, ...outboundCluster });
  });
});

describe('decode of a binary made by protobufjs itself', () => {
  it('reads durations, enums, wrappers, maps and Anys', () => {
    const HttpOptions = lookupMessage('envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
    const Cluster = lookupMessage('envoy.config.cluster.v3.Cluster');
    const options = HttpOptions.encode(
      HttpOptions.fromObject({ common_http_protocol_options: { idle_timeout: { seconds: 90, nanos: 250_000_000 } } }),
    ).finish();
    const cluster = Cluster.fromObject({
      name: 'outbound|80||web.default.svc.cluster.local',
      type: 3, // EDS
      lb_policy: 'RANDOM',
      connect_timeout: { seconds: 2 },
      per_connection_buffer_limit_bytes: { value: 0 },
      typed_extension_protocol_options: { opts: { type_url: 'type.googleapis.com/' + HttpOptions.fullName.slice(1), value: options } },
      metadata: { filter_metadata: { istio: { fields: { n: { numberValue: 1.5 }, s: { stringValue: 'x' }, nil: { nullValue: 0 } } } } },
    });
    const json = decode(TypeUrl.Cluster, Cluster.encode(cluster).finish());
    expect(json).toEqual({
      name: 'outbound|80||web.default.svc.cluster.local',
      type: 'EDS',
      lb_policy: 'RANDOM',
      connect_timeout: '2s',
      per_connection_buffer_limit_bytes: 0,
      typed_extension_protocol_options: {
        opts: {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          common_http_protocol_options: { idle_timeout: '90.250s' },
        },
      },
      metadata: { filter_metadata: { istio: { n: 1.5, s: 'x', nil: null } } },
    });
  });
});

describe('proto3 JSON rules', () => {
  it('accepts lowerCamelCase names and writes snake_case', () => {
    const json = normalize('envoy.config.core.v3.Address', { socketAddress: { address: '10.0.0.1', portValue: 80 } });
    expect(json).toEqual({ socket_address: { address: '10.0.0.1', port_value: 80 } });
  });

  it('leaves out default scalars but keeps set wrappers and empty messages', () => {
    const json = normalize(TypeUrl.Cluster, { name: '', connect_timeout: '0s', per_connection_buffer_limit_bytes: 0, lb_policy: 'ROUND_ROBIN', common_lb_config: {} });
    expect(json).toEqual({ connect_timeout: '0s', per_connection_buffer_limit_bytes: 0, common_lb_config: {} });
  });

  it('accepts enum numbers and writes names', () => {
    expect(normalize(TypeUrl.Cluster, { type: 4, lb_policy: 1 })).toEqual({ type: 'ORIGINAL_DST', lb_policy: 'LEAST_REQUEST' });
  });

  it('formats durations with 0, 3, 6 or 9 fractional digits', () => {
    const timeout = (value: string) => normalize(TypeUrl.Cluster, { connect_timeout: value }).connect_timeout;
    expect(timeout('1.5s')).toBe('1.500s');
    expect(timeout('0.000001s')).toBe('0.000001s');
    expect(timeout('3.000000001s')).toBe('3.000000001s');
    expect(timeout('-2.25s')).toBe('-2.250s');
    expect(timeout('60.000s')).toBe('60s');
  });

  it('reads timestamps in any offset and writes UTC', () => {
    const updated = (value: string) =>
      normalize(TypeUrl.BootstrapConfigDump, { last_updated: value }).last_updated;
    expect(updated('2026-11-25T12:00:00+01:00')).toBe('2026-11-25T11:00:00Z');
    expect(updated('2026-11-25T11:00:00.5Z')).toBe('2026-11-25T11:00:00.500Z');
  });

  it('writes 64-bit integers as strings and reads numbers or strings', () => {
    expect(normalize('google.protobuf.UInt64Value', '18446744073709551615')).toBe('18446744073709551615');
    expect(normalize('google.protobuf.UInt64Value', 42)).toBe('42');
    expect(normalize('envoy.config.route.v3.RetryPolicy', { host_selection_retry_max_attempts: 3 })).toEqual({
      host_selection_retry_max_attempts: '3',
    });
    expect(normalize('google.protobuf.Int64Value', '-9223372036854775808')).toBe('-9223372036854775808');
    expect(decode('google.protobuf.Int64Value', encode('google.protobuf.Int64Value', '-5'))).toBe('-5');
  });

  it('handles bytes, floats and field masks', () => {
    expect(normalize('google.protobuf.BytesValue', 'aGk_')).toBe('aGk/');
    expect(normalize('google.protobuf.FloatValue', 0.1)).toBe(0.1);
    expect(normalize('google.protobuf.DoubleValue', 'NaN')).toBe('NaN');
    expect(normalize('google.protobuf.FieldMask', 'fooBar,baz.quxQuux')).toBe('fooBar,baz.quxQuux');
  });

  it('keeps "__proto__" as an ordinary key in maps and Structs', () => {
    const json = JSON.parse('{"filter_metadata":{"__proto__":{"__proto__":1}}}');
    expect(JSON.stringify(normalize('envoy.config.core.v3.Metadata', json))).toBe('{"filter_metadata":{"__proto__":{"__proto__":1}}}');
    expect(JSON.stringify(decode('envoy.config.core.v3.Metadata', encode('envoy.config.core.v3.Metadata', json)))).toBe(
      '{"filter_metadata":{"__proto__":{"__proto__":1}}}',
    );
  });

  it('keeps a top-level @type that names the same type', () => {
    const json = { '@type': TypeUrl.ClusterLoadAssignment, cluster_name: 'x' };
    expect(normalize(TypeUrl.ClusterLoadAssignment, json)).toEqual(json);
  });

  it('loads a package it has not seen the first time one of its types is named', () => {
    const json = {
      name: 'envoy.filters.http.cors',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' },
    };
    expect(normalize('envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', json)).toEqual(json);
  });
});

describe('errors name the resource, the field path and the reason', () => {
  const cases: [string, string, unknown, string][] = [
    [
      'an unknown type URL in a nested Any',
      TypeUrl.Listener,
      { filter_chains: [{ filters: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/nope.v1.Nope' } }] }] },
      'Listener.filter_chains[0].filters[0].typed_config: unknown type URL "type.googleapis.com/nope.v1.Nope"',
    ],
    [
      'a wrong type deep inside',
      TypeUrl.Cluster,
      { load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { port_value: 'http' } } } }] }] } },
      'Cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: expected an integer (uint32), got "http"',
    ],
    ['an unknown field', TypeUrl.Cluster, { name: 'a', lb_polcy: 'RANDOM' }, 'Cluster.lb_polcy: unknown field in Cluster'],
    ['an unknown enum name', TypeUrl.Cluster, { type: 'DNS' }, 'Cluster.type: unknown DiscoveryType value "DNS"'],
    ['an enum name that is an Object property', TypeUrl.Cluster, { type: 'constructor' }, 'Cluster.type: unknown DiscoveryType value "constructor"'],
    ['a field name that is an Object property', TypeUrl.Cluster, { toString: 1 }, 'Cluster.toString: unknown field in Cluster'],
    ['a bad duration', TypeUrl.Cluster, { connect_timeout: 5 }, 'Cluster.connect_timeout: expected a duration like "1.5s", got 5'],
    ['an integer out of range', 'envoy.config.core.v3.SocketAddress', { port_value: -1 }, 'SocketAddress.port_value: -1 is out of range for uint32'],
    ['a repeated field that is not an array', TypeUrl.Listener, { filter_chains: {} }, 'Listener.filter_chains: expected an array, got {}'],
    [
      'two members of one oneof',
      'envoy.config.core.v3.Address',
      { socket_address: {}, pipe: { path: '/x' } },
      'Address.pipe: only one of oneof "address" may be set, "socket_address" is set too',
    ],
    [
      'an error inside a map of Anys',
      TypeUrl.Cluster,
      { typed_extension_protocol_options: { opts: { '@type': TypeUrl.Router, dynamic_stats: 'yes' } } },
      'Cluster.typed_extension_protocol_options["opts"].dynamic_stats: expected true or false, got "yes"',
    ],
    ['an Any without @type', TypeUrl.Listener, { listener_filters: [{ typed_config: { x: 1 } }] }, 'Listener.listener_filters[0].typed_config.@type: missing type URL'],
    ['a resource that is not an object', TypeUrl.Cluster, 'cluster', 'Cluster: expected an object (Cluster), got "cluster"'],
    ['a mismatched @type', TypeUrl.Cluster, { '@type': TypeUrl.Listener }, 'Cluster.@type: "type.googleapis.com/envoy.config.listener.v3.Listener" does not match'],
    ['an unknown message type', 'envoy.config.cluster.v3.Clustr', {}, 'unknown message type "envoy.config.cluster.v3.Clustr"'],
  ];

  it.each(cases)('%s', (_what, type, json, message) => {
    expect(() => normalize(type, json)).toThrow(XdsError);
    expect(() => normalize(type, json)).toThrow(message);
    expect(() => encode(type, json)).toThrow(message);
  });

  it('reports bytes that are not the message', () => {
    expect(() => decode(TypeUrl.Cluster, new Uint8Array([0x0a, 0xff, 0xff, 0xff]))).toThrow(/^Cluster: cannot decode/);
  });

  it('reports an Any whose value does not decode', () => {
    expect(() => unpackAny({ type_url: TypeUrl.Cluster, value: new Uint8Array([0x0a, 0x10]) })).toThrow(/^Any: cannot decode Cluster/);
  });
});
