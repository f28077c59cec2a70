import { describe, expect, it } from 'vitest';
import { loadDocuments } from './yaml-loader.ts';

const service = `apiVersion: v1
kind: Service
metadata:
  name: reviews
  labels: { app: reviews }
spec:
  selector: { app: reviews }
  ports:
  - name: http
    port: 9080
    targetPort: http-web
`;

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: reviews-v1-abc
  namespace: bookinfo
  labels: { app: reviews, version: v1 }
spec:
  serviceAccountName: bookinfo-reviews
  containers:
  - name: reviews
    ports:
    - name: http-web
      containerPort: 9080
status:
  podIP: 10.244.0.7
`;

describe('loadDocuments', () => {
  it('loads every document of a multi-document file and defaults the namespace', () => {
    const { objects, errors } = loadDocuments(`${service}---\n${pod}---\n`, 'bookinfo.yaml');
    expect(errors).toEqual([]);
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['Service default/reviews', 'Pod bookinfo/reviews-v1-abc']);
  });

  it('keeps unknown kinds as generic objects', () => {
    const { objects, errors } = loadDocuments('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: mesh }\ndata: { mesh: "{}" }\n', 'cm.yaml');
    expect(errors).toEqual([]);
    expect(objects[0]).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'mesh', namespace: 'default' }, data: { mesh: '{}' } });
  });

  it('names the file, document, resource, field and reason of a bad document and keeps the rest', () => {
    const bad = service.replace('port: 9080', 'port: 70000');
    const { objects, errors } = loadDocuments(`${pod}---\n${bad}`, 'bookinfo.yaml');
    expect(objects.map((o) => o.kind)).toEqual(['Pod']);
    expect(errors.map((e) => e.message)).toEqual(['bookinfo.yaml (document 2): Service default/reviews: spec.ports[0].port: must be an integer between 1 and 65535, got 70000']);
    expect(errors[0]).toMatchObject({ file: 'bookinfo.yaml', documentIndex: 2, resource: 'Service default/reviews', field: 'spec.ports[0].port' });
  });

  it.each([
    ['a name that is not a DNS label', service.replace('name: reviews\n', 'name: Reviews_1\n'), 'metadata.name: must be a DNS label'],
    ['a missing name', service.replace('  name: reviews\n', ''), 'metadata.name: required string is missing'],
    ['a wrong apiVersion for a known kind', service.replace('apiVersion: v1', 'apiVersion: apps/v1'), 'apiVersion: Service must be v1, got "apps/v1"'],
    ['an unnamed port among several', service.replace('  - name: http\n', '  - port: 9081\n  - name: http\n'), 'spec.ports[0].name: required when a service has more than one port'],
    ['a bad target port name', service.replace('http-web', 'HTTP_WEB'), 'spec.ports[0].targetPort: must be a port name'],
    ['a bad clusterIP', service.replace('spec:\n', 'spec:\n  clusterIP: 10.96.0.300\n'), 'spec.clusterIP: must be an IP address or "None"'],
    ['a label that is not a string', service.replace('labels: { app: reviews }', 'labels: { app: [reviews] }'), 'metadata.labels.app: must be a string, got a list'],
  ])('rejects %s', (_what, text, expected) => {
    const { objects, errors } = loadDocuments(text, 'svc.yaml');
    expect(objects).toEqual([]);
    expect(errors[0].message).toContain(expected);
  });

  it.each([
    ['a pod without containers', pod.replace(/ {2}containers:[\s\S]*?status:/, 'status:'), 'Pod bookinfo/reviews-v1-abc: spec.containers: must be a non-empty list'],
    ['a container port out of range', pod.replace('containerPort: 9080', 'containerPort: 0'), 'spec.containers[0].ports[0].containerPort: must be an integer between 1 and 65535, got 0'],
    ['a bad pod IP', pod.replace('10.244.0.7', 'ten'), 'status.podIP: must be an IP address, got "ten"'],
  ])('rejects %s', (_what, text, expected) => {
    const { errors } = loadDocuments(text, 'pod.yaml');
    expect(errors[0].message).toContain(expected);
  });

  it('checks that a deployment selector matches its template', () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: ratings-v1 }
spec:
  selector: { matchLabels: { app: ratings } }
  template:
    metadata: { labels: { app: details } }
    spec: { containers: [{ name: ratings }] }
`;
    expect(loadDocuments(deployment, 'd.yaml').errors[0].message).toBe(
      'd.yaml (document 1): Deployment default/ratings-v1: spec.selector.matchLabels: selects app=ratings, which spec.template.metadata.labels does not have',
    );
  });

  it('reports invalid YAML with its document and skips empty documents', () => {
    const { objects, errors } = loadDocuments(`${service}---\n---\nkind: [unclosed\n`, 'x.yaml');
    expect(objects).toHaveLength(1);
    expect(errors[0].message).toMatch(/^x\.yaml \(document 3\): invalid YAML: /);
  });

  it('reports a document that is not a mapping', () => {
    expect(loadDocuments('- a\n- b\n', 'l.yaml').errors[0].message).toBe('l.yaml (document 1): a document must be a mapping, got a list');
  });

  it('loads JSON and the items of a List', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bookinfo' } }] };
    const { objects, errors } = loadDocuments(JSON.stringify(list), 'ns.json');
    expect(errors).toEqual([]);
    expect(objects).toEqual([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bookinfo' } }]);
  });
});
