import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { checkGateway } from './gateway.ts';
import type { KubeObject } from './kubernetes-types.ts';
import { loadDocuments } from './yaml-loader.ts';

/** The error checkGateway reports for a manifest, or undefined when it passes. */
function check(text: string): ConfigError | undefined {
  try {
    checkGateway(parse(text) as KubeObject, (field, reason) => {
      throw new ConfigError({ resource: 'Gateway default/bookinfo-gateway', field, reason });
    });
    return undefined;
  } catch (error) {
    return error as ConfigError;
  }
}

const gateway = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: bookinfo-gateway }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 8080, name: http, protocol: HTTP }
    hosts: ["*"]
  - port: { number: 443, name: https, protocol: HTTPS }
    hosts: [bookinfo/bookinfo.example.com]
    tls: { mode: SIMPLE, credentialName: bookinfo-cert }
`;

describe('Gateway validation', () => {
  it("accepts Bookinfo's gateway with an HTTPS server", () => {
    expect(check(gateway)).toBeUndefined();
  });

  it('accepts an HTTPS redirect on plain HTTP, and an east-west AUTO_PASSTHROUGH server', () => {
    expect(check(gateway.replace('hosts: ["*"]', 'hosts: ["*"]\n    tls: { httpsRedirect: true }'))).toBeUndefined();
    expect(check(gateway.replace('protocol: HTTPS }', 'protocol: TLS }').replace('mode: SIMPLE, credentialName: bookinfo-cert', 'mode: AUTO_PASSTHROUGH'))).toBeUndefined();
  });

  it.each([
    ['no servers', gateway.replace(/ {2}servers:[\s\S]*/, '  servers: []\n'), 'spec.servers: required: at least one server'],
    ['a server without hosts', gateway.replace('hosts: ["*"]', 'hosts: []'), 'spec.servers[0].hosts: required: at least one host'],
    ['an unknown protocol', gateway.replace('protocol: HTTP }', 'protocol: SMTP }'), 'spec.servers[0].port.protocol: must be one of HTTP, HTTPS'],
    ['a port without name', gateway.replace('number: 8080, name: http, ', 'number: 8080, '), 'spec.servers[0].port.name: required'],
    ['HTTPS without TLS', gateway.replace('    tls: { mode: SIMPLE, credentialName: bookinfo-cert }\n', ''), 'spec.servers[1].tls: required when the port protocol is HTTPS'],
    ['TLS without TLS settings', gateway.replace('protocol: HTTPS }', 'protocol: TLS }').replace('    tls: { mode: SIMPLE, credentialName: bookinfo-cert }\n', ''), 'spec.servers[1].tls: required when the port protocol is TLS'],
    ['TLS settings on plain HTTP', gateway.replace('hosts: ["*"]', 'hosts: ["*"]\n    tls: { mode: SIMPLE, credentialName: c }'), 'spec.servers[0].tls: only httpsRedirect is allowed when the port protocol is HTTP'],
    ['AUTO_PASSTHROUGH on HTTPS', gateway.replace('mode: SIMPLE, credentialName: bookinfo-cert', 'mode: AUTO_PASSTHROUGH'), 'spec.servers[1].tls.mode: AUTO_PASSTHROUGH needs protocol TLS, got HTTPS'],
    ['SIMPLE TLS without a certificate', gateway.replace(', credentialName: bookinfo-cert', ''), 'spec.servers[1].tls: mode SIMPLE needs a credentialName'],
    ['a bad namespace in a host', gateway.replace('bookinfo/bookinfo', 'Book_info/bookinfo'), 'spec.servers[1].hosts[0]: the namespace before "/" must be'],
  ])('rejects %s', (_what, text, expected) => {
    expect(check(text)?.message).toContain(`Gateway default/bookinfo-gateway: ${expected}`);
  });
});

describe('Gateway loading', () => {
  it('rejects an invalid Gateway document with its field, and keeps the valid one', () => {
    const result = loadDocuments(`${gateway}---\n${gateway.replace('bookinfo-gateway', 'broken').replace('hosts: ["*"]', 'hosts: []')}`, 'gw.yaml');
    expect(result.objects.map((o) => o.metadata.name)).toEqual(['bookinfo-gateway']);
    expect(result.errors.map((e) => e.message)).toEqual([expect.stringContaining('spec.servers[0].hosts: required: at least one host')]);
  });
});
