import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileBootstrap, readBootstrapFile } from './bootstrap-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'mizzen-bootstrap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(name: string, text: string): ReturnType<typeof compileBootstrap> {
  const path = join(dir, name);
  writeFileSync(path, text);
  return compileBootstrap(readBootstrapFile(path));
}

const cluster = (extra: string): string => `{"static_resources":{"clusters":[{"name":"c","connect_timeout":"1s"${extra}}]}}`;

describe('compileBootstrap', () => {
  it('reads the ADS target from the static xds-grpc cluster and accepts its HTTP/2 options', () => {
    const bootstrap = load('ads.yaml', `
node: { id: sidecar~10.0.0.1~a.ns~ns.svc.cluster.local, cluster: a.ns }
dynamic_resources:
  ads_config: { api_type: GRPC, transport_api_version: V3, grpc_services: [{ envoy_grpc: { cluster_name: xds-grpc } }] }
  cds_config: { ads: {}, resource_api_version: V3 }
  lds_config: { ads: {}, initial_fetch_timeout: 0s }
static_resources:
  clusters:
  - name: xds-grpc
    type: STATIC
    connect_timeout: 1s
    load_assignment: { cluster_name: xds-grpc, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 15010 } } } }] }] }
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
`);
    expect(bootstrap.ads).toEqual({
      clusterName: 'xds-grpc', target: '127.0.0.1:15010', cds: true, lds: true, delta: false,
      // Envoy's 15 s default, and 0 (wait for ever) as given.
      cdsInitialFetchTimeoutMs: 15_000, ldsInitialFetchTimeoutMs: 0,
    });
    expect(bootstrap.node).toMatchObject({ cluster: 'a.ns' });
    // A worker thread compiles the checked copy without the protos, to the same config.
    const copy = compileBootstrap(structuredClone(bootstrap.json), { checked: true });
    expect(copy.ads).toEqual(bootstrap.ads);
    expect(copy.clusters).toEqual(bootstrap.clusters);
    expect(copy.json).toEqual(bootstrap.json);
  });

  it('names a file it cannot read', () => {
    expect(() => readBootstrapFile(join(dir, 'nope.yaml'))).toThrow(/nope\.yaml: cannot read/);
  });

  it.each([
    ['malformed YAML', 'bad.yaml', 'static_resources: [', /bad\.yaml: not valid YAML/],
    ['malformed JSON', 'bad.json', '{', /bad\.json: not valid JSON/],
    ['an unknown field', 'unknown.json', cluster(',"colour":"red"'), /^Bootstrap\.static_resources\.clusters\[0\]\.colour: unknown field/],
    ['a wrong type', 'type.json', cluster(',"connect_timeout":"soon"'), /connect_timeout: expected a duration/],
    ['an unsupported field', 'unsupported.json', cluster(',"close_connections_on_host_health_failure":true'), /^Bootstrap\.static_resources\.clusters\[0\]\.close_connections_on_host_health_failure: not supported/],
    ['a rule of Envoy\'s protos', 'rule.json', cluster(',"connect_timeout":"0s"'), /connect_timeout/],
    ['a bad DNS refresh rate', 'dns.json', cluster(',"type":"STRICT_DNS","dns_refresh_rate":"0s"'), /clusters\[0\]\.dns_refresh_rate/],
    ['an ADS cluster that does not exist', 'ads.json', '{"dynamic_resources":{"ads_config":{"api_type":"GRPC","grpc_services":[{"envoy_grpc":{"cluster_name":"xds"}}]},"cds_config":{"ads":{}}}}', /cluster_name: no static cluster named "xds"/],
    ['a non-ADS config source', 'path.json', '{"dynamic_resources":{"cds_config":{"path_config_source":{"path":"/x"}}}}', /cds_config\.path_config_source: not supported/],
  ])('rejects %s', (_name, name, text, message) => {
    expect(() => load(name, text)).toThrow(message);
  });
});
