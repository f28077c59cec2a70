import { describe, expect, it } from 'vitest';
import { Stats } from '../stats/stats-store.ts';
import { compileCluster } from './cluster-config.ts';
import { Cluster } from './upstream-cluster.ts';
import { Host } from './upstream-host.ts';

const TYPE = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function cluster(options: object, extra: object = {}) {
  return compileCluster({ name: 'c', type: 'STATIC', typed_extension_protocol_options: { [KEY]: { '@type': TYPE, ...options } }, ...extra });
}

describe('HttpProtocolOptions', () => {
  it('reads what Istio sends: explicit HTTP/2 with limits, and the client protocol for sniffed ports', () => {
    const h2 = cluster({
      explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 100, hpack_table_size: 0, connection_keepalive: { interval: '30s', timeout: '10s' } } },
      common_http_protocol_options: { idle_timeout: '60s', max_requests_per_connection: 10, max_connection_duration: '300s' },
    }).protocolOptions;
    expect(h2).toMatchObject({ protocol: 'HTTP/2', idleTimeoutMs: 60_000, maxRequestsPerConnection: 10, maxConnectionDurationMs: 300_000 });
    expect(h2.http2).toMatchObject({ maxConcurrentStreams: 100, hpackTableSize: 0, keepaliveIntervalMs: 30_000, keepaliveTimeoutMs: 10_000 });
    expect(cluster({ use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} } }).protocolOptions.protocol).toBe('downstream');
    expect(cluster({ explicit_http_config: { http_protocol_options: {} } }).protocolOptions.protocol).toBe('HTTP/1.1');
    expect(cluster({ auto_config: {} }).protocolOptions.protocol).toBe('auto');
  });

  it('takes the deprecated cluster-level http2_protocol_options and defaults to HTTP/1.1 with a one hour idle timeout', () => {
    expect(compileCluster({ name: 'c', http2_protocol_options: {} }).protocolOptions.protocol).toBe('HTTP/2');
    expect(compileCluster({ name: 'c' }).protocolOptions).toMatchObject({ protocol: 'HTTP/1.1', idleTimeoutMs: 3_600_000, maxRequestsPerConnection: 0 });
  });

  it('chooses the upstream protocol per request as the config says', () => {
    const stats = new Stats();
    const host = new Host('127.0.0.1', 1);
    const follow = new Cluster(cluster({ use_downstream_protocol_config: { http2_protocol_options: {} } }), stats);
    expect(follow.upstreamProtocol('HTTP/2', host)).toBe('HTTP/2');
    expect(follow.upstreamProtocol('HTTP/1.1', host)).toBe('HTTP/1.1');
    const explicit = new Cluster(cluster({ explicit_http_config: { http2_protocol_options: {} } }), stats);
    expect(explicit.upstreamProtocol('HTTP/1.1', host)).toBe('HTTP/2');
    const auto = new Cluster(cluster({ auto_config: {} }), stats);
    expect(auto.upstreamProtocol('HTTP/2', host)).toBe('HTTP/1.1');
    for (const c of [follow, explicit, auto]) c.destroy();
  });

  it.each([
    [{ explicit_http_config: { http2_protocol_options: { allow_connect: true } } }, /explicit_http_config\.http2_protocol_options\.allow_connect/],
    [{ explicit_http_config: { http3_protocol_options: {} } }, /http3_protocol_options: HTTP\/3 upstreams are not supported/],
    [{ explicit_http_config: {} }, /explicit_http_config: exactly one of/],
    [{ explicit_http_config: { http_protocol_options: {} }, auto_config: {} }, /only one of explicit_http_config, auto_config/],
    [{}, /one of explicit_http_config, use_downstream_protocol_config or auto_config is required/],
    [{ explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: { max_headers_count: 10 } }, /common_http_protocol_options\.max_headers_count/],
    [{ explicit_http_config: { http2_protocol_options: { connection_keepalive: { interval: '1s' } } } }, /connection_keepalive\.timeout: required/],
  ])('NACKs %j naming the field', (options, message) => {
    expect(() => cluster(options)).toThrow(message);
  });

  it('NACKs other protocol options, and both forms at once', () => {
    expect(() => compileCluster({ name: 'c', typed_extension_protocol_options: { x: { '@type': 'type.googleapis.com/other.Options' } } }))
      .toThrow(/typed_extension_protocol_options\.x\.@type: unsupported protocol options/);
    expect(() => cluster({ explicit_http_config: { http_protocol_options: {} } }, { http2_protocol_options: {} }))
      .toThrow(/Cluster\.http2_protocol_options: cannot be set with typed_extension_protocol_options/);
  });
});
