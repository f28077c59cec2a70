import { describe, expect, it } from 'vitest';
import { loadDocuments } from './yaml-loader.ts';

const entry = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: external-api }
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports:
  - { number: 443, name: https, protocol: TLS }
  - { number: 80, name: http, protocol: HTTP }
  endpoints:
  - address: 192.0.2.10
    ports: { https: 8443 }
`;

describe('ServiceEntry validation', () => {
  it('accepts a static external service', () => {
    expect(loadDocuments(entry, 'se.yaml').errors).toEqual([]);
  });

  it.each([
    ['no hosts', entry.replace('hosts: [api.example.com]', 'hosts: []'), 'spec.hosts: required: at least one host'],
    ['duplicate port names', entry.replace('name: http,', 'name: https,'), 'spec.ports[1].name: duplicate port name "https"'],
    ['an endpoint port naming no port', entry.replace('{ https: 8443 }', '{ admin: 8443 }'), 'spec.endpoints[0].ports.admin: names no port of the ServiceEntry'],
    ['a static endpoint without address', entry.replace('  - address: 192.0.2.10\n    ports', '  - ports'), 'spec.endpoints[0].address: required with resolution STATIC'],
    ['a DNS wildcard host without endpoints', entry.replace('api.example.com', '"*.example.com"').replace('STATIC', 'DNS').replace(/ {2}endpoints:[\s\S]*/, ''), 'spec.hosts: a wildcard host cannot be resolved by DNS without endpoints'],
    ['an unknown resolution', entry.replace('STATIC', 'MAGIC'), 'spec.resolution: must be one of NONE, STATIC, DNS, DNS_ROUND_ROBIN'],
    ['endpoints with a workload selector', entry.replace('  endpoints:', '  workloadSelector: { labels: { app: api } }\n  endpoints:'), 'spec: only one of endpoints and workloadSelector may be set'],
  ])('rejects %s', (_what, text, expected) => {
    const { objects, errors } = loadDocuments(text, 'se.yaml');
    expect(objects).toEqual([]);
    expect(errors[0].message).toContain(`ServiceEntry default/external-api: ${expected}`);
  });
});
