import { describe, expect, it } from 'vitest';
import type { Deployment, Service } from '@mizzen/config';
import { podTemplateHash, randomSuffix } from './pod-naming.ts';
import { planPods } from './pod-plan.ts';
import { serviceUrls } from './service-urls.ts';

function deployment(name: string, replicas: number, extra: Partial<Deployment['spec']['template']['spec']['containers'][0]> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, version: 'v1' } },
        spec: { serviceAccountName: name, containers: [{ name, command: ['node', `${name}.ts`], args: ['--port', '9090'], ports: [{ name: 'http', containerPort: 9090 }], ...extra }] },
      },
    },
  };
}

const addresses = (i: number): string => `10.244.9.${i + 2}`;

describe('pod names', () => {
  it('hash a template the same whatever its key order, and differently when it changes', () => {
    const a = podTemplateHash({ metadata: { labels: { app: 'x' } }, spec: { containers: [] } });
    const b = podTemplateHash({ spec: { containers: [] }, metadata: { labels: { app: 'x' } } });
    const c = podTemplateHash({ spec: { containers: [] }, metadata: { labels: { app: 'y' } } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('draws suffixes from the vowel-free alphabet', () => {
    expect(randomSuffix(5, () => 0)).toBe('bbbbb');
    expect(randomSuffix(5, (n) => n - 1)).toBe('99999');
  });
});

describe('planPods', () => {
  it('makes a pod per replica, named and addressed as Kubernetes would', () => {
    let n = 0;
    const pods = planPods([deployment('hello-backend', 2), deployment('hello-frontend', 1)], { address: addresses, suffix: () => `s${n++}xyz` });
    const hash = podTemplateHash(deployment('hello-backend', 2).spec.template);
    expect(pods.map((p) => [p.name, p.ip])).toEqual([
      [`hello-backend-${hash}-s0xyz`, '10.244.9.2'],
      [`hello-backend-${hash}-s1xyz`, '10.244.9.3'],
      [expect.stringMatching(/^hello-frontend-[a-z0-9]+-s2xyz$/), '10.244.9.4'],
    ]);
    expect(pods[0].labels).toEqual({ app: 'hello-backend', version: 'v1', 'pod-template-hash': hash });
    expect(pods[0].serviceAccount).toBe('hello-backend');
    expect(pods[0].containers[0].argv).toEqual(['node', 'hello-backend.ts', '--port', '9090']);
    expect(pods[0].pod).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pods[0].name, namespace: 'default', labels: pods[0].labels },
      spec: { serviceAccountName: 'hello-backend' },
      status: { podIP: '10.244.9.2' },
    });
  });

  it('fills the downward API fields of the environment', () => {
    const env = [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'PLAIN', value: 'x' },
    ] as { name: string; value?: string }[];
    const [pod] = planPods([deployment('b', 1, { env })], { address: addresses, suffix: () => 'aaaaa' });
    expect(pod.containers[0].env).toEqual({ POD_NAME: pod.name, POD_IP: '10.244.9.2', APP: 'b', PLAIN: 'x' });
  });

  it('names the field when something cannot run locally', () => {
    expect(() => planPods([deployment('b', 1, { command: undefined })], { address: addresses })).toThrow(
      'Deployment default/b: spec.template.spec.containers[0].command: required to run locally',
    );
    const env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] as unknown as { name: string }[];
    expect(() => planPods([deployment('b', 1, { env })], { address: addresses })).toThrow(/containers\[0\]\.env\[0\]\.valueFrom: only fieldRef/);
  });
});

describe('serviceUrls', () => {
  it('gives each HTTP service port a URL at a selected pod and its target port', () => {
    const pods = planPods([deployment('hello-frontend', 1)], { address: addresses });
    const service = (name: string, port: Service['spec']['ports']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: 'hello-frontend' }, ports: port } });
    const urls = serviceUrls(
      [service('hello-frontend', [{ name: 'http', port: 8000, targetPort: 'http' }, { name: 'tcp-db', port: 5432 }]), service('other', [{ name: 'http-web', port: 80, targetPort: 8080 }])],
      pods,
    );
    expect(urls).toEqual([
      { service: 'hello-frontend.default', port: 8000, pod: pods[0].name, url: 'http://10.244.9.2:9090/' },
      { service: 'other.default', port: 80, pod: pods[0].name, url: 'http://10.244.9.2:8080/' },
    ]);
  });
});
