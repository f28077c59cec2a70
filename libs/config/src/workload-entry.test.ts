import { describe, expect, it } from 'vitest';
import { loadDocuments } from './yaml-loader.ts';

const entry = `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: { name: details-vm, namespace: bookinfo }
spec:
  address: 10.1.2.3
  ports: { http: 9080 }
  labels: { app: details, version: vm }
  serviceAccount: bookinfo-details
  weight: 10
`;

describe('WorkloadEntry validation', () => {
  it.each([
    ['an IP address', entry],
    ['a DNS name', entry.replace('10.1.2.3', 'details.vm.example.com')],
    ['a unix socket without ports', entry.replace('10.1.2.3', 'unix:///var/run/details.sock').replace('  ports: { http: 9080 }\n', '')],
    ['no address with a network', entry.replace('  address: 10.1.2.3\n', '  network: vm-network\n')],
    ['the v1alpha3 version', entry.replace('networking.istio.io/v1', 'networking.istio.io/v1alpha3')],
  ])('accepts %s', (_what, text) => {
    expect(loadDocuments(text, 'we.yaml').errors).toEqual([]);
  });

  it.each([
    ['no address', entry.replace('  address: 10.1.2.3\n', ''), 'spec.address: address is required (unless network is set)'],
    ['a malformed address', entry.replace('10.1.2.3', 'not_a_host!'), 'spec.address: endpoint address "not_a_host!" is not a valid FQDN or an IP address'],
    ['a bad IPv4 address', entry.replace('10.1.2.3', '10.1.2.300'), 'spec.address: endpoint address "10.1.2.300" is not a valid FQDN or an IP address'],
    ['a unix socket with ports', entry.replace('10.1.2.3', 'unix:///var/run/details.sock'), 'spec.ports: unix endpoint unix:///var/run/details.sock must not include ports'],
    ['a relative unix path', entry.replace('10.1.2.3', 'unix://details.sock'), 'spec.address: unix endpoint unix://details.sock must name an absolute path'],
    ['a port out of range', entry.replace('http: 9080', 'http: 90800'), 'spec.ports.http: must be an integer between 1 and 65535'],
    ['a bad port name', entry.replace('http: 9080', 'HTTP: 9080'), 'spec.ports.HTTP: a port name must be a DNS label'],
    ['a bad label', entry.replace('version: vm', 'version: "v m"'), 'spec.labels.version: a label value must be empty or at most 63'],
    ['a negative weight', entry.replace('weight: 10', 'weight: -1'), 'spec.weight: must be an integer between 0 and 4294967295'],
    ['an unknown field', entry.replace('weight: 10', 'weigth: 10'), 'spec.weigth: unknown field'],
  ])('rejects %s', (_what, text, expected) => {
    const { objects, errors } = loadDocuments(text, 'we.yaml');
    expect(objects).toEqual([]);
    expect(errors[0].message).toContain(`WorkloadEntry bookinfo/details-vm: ${expected}`);
  });
});
