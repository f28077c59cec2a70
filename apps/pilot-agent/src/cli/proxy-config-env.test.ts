import { describe, expect, it } from 'vitest';
import { readProxyConfigEnv } from './proxy-config-env.ts';

describe('readProxyConfigEnv', () => {
  it('reads the fields the agent uses, from YAML or JSON, and ignores the rest', () => {
    const yaml = `
discoveryAddress: istiod.istio-system.svc:15012
concurrency: 4
terminationDrainDuration: 10s
statusPort: 15030
proxyAdminPort: 15000
binaryPath: /usr/local/bin/envoy
configPath: /etc/istio/proxy
tracing: { zipkin: { address: zipkin:9411 } }
proxyMetadata:
  ISTIO_META_DNS_CAPTURE: "true"
`;
    expect(readProxyConfigEnv(yaml)).toEqual({
      discovery: { host: 'istiod.istio-system.svc', port: 15012 },
      concurrency: 4,
      drainDurationMs: 10_000,
      agentPort: 15030,
      adminPort: 15000,
      binaryPath: '/usr/local/bin/envoy',
      configPath: '/etc/istio/proxy',
      proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' },
    });
    expect(readProxyConfigEnv('{"concurrency":1}')).toEqual({ concurrency: 1 });
    expect(readProxyConfigEnv(undefined)).toEqual({});
    expect(readProxyConfigEnv('  ')).toEqual({});
  });

  it.each([
    ['concurrency: two', /PROXY_CONFIG\.concurrency: must be a whole number/],
    ['statusPort: 0', /PROXY_CONFIG\.statusPort: must be a whole number from 1 to 65535/],
    ['terminationDrainDuration: soon', /PROXY_CONFIG\.terminationDrainDuration: "soon" is not a duration/],
    ['discoveryAddress: istiod', /PROXY_CONFIG\.discoveryAddress: "istiod" is not host:port/],
    ['proxyMetadata: { A: 1 }', /PROXY_CONFIG\.proxyMetadata: must be a map of strings/],
    ['- a list', /PROXY_CONFIG: must be an object/],
    ['{unclosed', /PROXY_CONFIG: not valid YAML or JSON/],
  ])('names what is wrong in %j', (text, message) => {
    expect(() => readProxyConfigEnv(text)).toThrow(message);
  });
});
