import { readFileSync } from 'node:fs';
import { loadDocuments, MemoryConfigStore } from '@mizzen/config';
import { normalize, TypeUrl } from '@mizzen/xds';
import { describe, expect, it } from 'vitest';
import { parseProxyNode } from '../model/proxy.ts';
import { buildPushContext } from '../model/push-context.ts';
import { buildNameTable, nds } from './nds.ts';

const bookinfo = loadDocuments(readFileSync(new URL('../networking/testdata/bookinfo.yaml', import.meta.url), 'utf8'), 'bookinfo.yaml').objects;
const extra = loadDocuments(
  `
apiVersion: v1
kind: Service
metadata: { name: db, namespace: default }
spec: { clusterIP: None, selector: { app: ratings }, ports: [{ name: tcp, port: 5432 }] }
---
apiVersion: v1
kind: Service
metadata: { name: secret, namespace: other, annotations: { networking.istio.io/exportTo: "." } }
spec: { clusterIP: 10.96.0.99, ports: [{ name: http, port: 80 }] }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: api, namespace: default }
spec: { hosts: [api.example.com, "*.wild.example.com"], addresses: [192.0.2.10], ports: [{ number: 443, name: tls, protocol: TLS }], resolution: NONE }
`,
  'extra.yaml',
).objects;

function pushFor(objects = [...bookinfo, ...extra]) {
  const store = new MemoryConfigStore();
  store.replaceAll(objects);
  return buildPushContext(store, 'v1');
}

const proxy = parseProxyNode({ id: 'sidecar~10.244.0.10~productpage-v1-1.default~default.svc.cluster.local', metadata: { NAMESPACE: 'default' } });

describe('NDS', () => {
  it('lists every visible service by hostname with its VIP, a headless one with its pods’ IPs', () => {
    const { table } = buildNameTable(pushFor(), proxy) as { table: Record<string, unknown> };
    expect(table['reviews.default.svc.cluster.local']).toEqual({ ips: ['10.96.0.11'], registry: 'Kubernetes', shortname: 'reviews', namespace: 'default' });
    expect(table['mongodb.default.svc.cluster.local']).toEqual({ ips: ['10.96.0.13'], registry: 'Kubernetes', shortname: 'mongodb', namespace: 'default' });
    expect(table['db.default.svc.cluster.local']).toMatchObject({ ips: [expect.stringMatching(/^10\.244\./)], registry: 'Kubernetes' });
    expect(table['api.example.com']).toEqual({ ips: ['192.0.2.10'], registry: 'External' });
    // Not exported to this proxy's namespace; a wildcard has no single name to answer for.
    expect(Object.keys(table)).not.toContain('secret.other.svc.cluster.local');
    expect(Object.keys(table).some((host) => host.includes('*'))).toBe(false);
  });

  it('shows a namespace’s private service to the proxies of that namespace', () => {
    const other = parseProxyNode({ id: 'sidecar~10.244.0.50~app-1.other~other.svc.cluster.local', metadata: { NAMESPACE: 'other' } });
    expect(Object.keys((buildNameTable(pushFor(), other) as { table: object }).table)).toContain('secret.other.svc.cluster.local');
  });

  it('generates one NameTable that packs as Istio’s message', () => {
    const resources = nds.generate(pushFor(), proxy, []);
    expect(nds.typeUrl).toBe(TypeUrl.NameTable);
    expect(resources).toHaveLength(1);
    expect(normalize(TypeUrl.NameTable, resources[0])).toEqual(resources[0]);
  });
});
