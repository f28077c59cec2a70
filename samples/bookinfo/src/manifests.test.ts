import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDocuments, type KubeObject } from '@mizzen/config';

const sample = new URL('../', import.meta.url);
const repositoryRoot = fileURLToPath(new URL('../../', sample));

function load(relative: string): KubeObject[] {
  const file = fileURLToPath(new URL(relative, sample));
  const result = loadDocuments(readFileSync(file, 'utf8'), relative);
  expect(result.errors.map((error) => error.message)).toEqual([]);
  return result.objects;
}

interface Container {
  name: string;
  command: string[];
  env?: { name: string; value?: string }[];
}

function containers(deployment: KubeObject): Container[] {
  return (deployment.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers;
}

describe('bookinfo manifests', () => {
  const objects = load('manifests/bookinfo.yaml');
  const named = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);

  it('hold Istio’s services, deployments and service accounts', () => {
    expect(named('Service')).toEqual(['details', 'ratings', 'reviews', 'productpage']);
    expect(named('Deployment')).toEqual(['details-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3', 'productpage-v1']);
    expect(named('ServiceAccount')).toEqual(['bookinfo-details', 'bookinfo-ratings', 'bookinfo-reviews', 'bookinfo-productpage']);
  });

  it('run our apps from files that exist, each reviews version told which it is', () => {
    for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
      for (const container of containers(deployment)) {
        expect(container.command[0]).toBe('node');
        expect(existsSync(`${repositoryRoot}/${container.command[1]}`), `${deployment.metadata.name}: ${container.command[1]}`).toBe(true);
      }
    }
    const version = (name: string) => containers(objects.find((o) => o.metadata.name === name)!)[0].env?.find((e) => e.name === 'SERVICE_VERSION')?.value;
    expect(['reviews-v1', 'reviews-v2', 'reviews-v3'].map(version)).toEqual(['v1', 'v2', 'v3']);
  });

  it('never give a service port that is also a target port, which a sidecar without capture needs', () => {
    const ports = objects.filter((o) => o.kind === 'Service').flatMap((o) => (o.spec as { ports: { port: number; targetPort: number; name: string }[] }).ports);
    const servicePorts = new Set(ports.map((p) => p.port));
    expect(ports.every((p) => p.name === 'http' && !servicePorts.has(p.targetPort))).toBe(true);
  });
});

describe('bookinfo networking', () => {
  const folder = fileURLToPath(new URL('networking/', sample));
  const files = readdirSync(folder).filter((f) => f.endsWith('.yaml'));

  it('has the tasks’ files', () => {
    expect(files.sort()).toEqual([
      'bookinfo-gateway.yaml',
      'destination-rule-all.yaml',
      'virtual-service-all-v1.yaml',
      'virtual-service-ratings-test-abort.yaml',
      'virtual-service-ratings-test-delay.yaml',
      'virtual-service-reviews-50-v3.yaml',
      'virtual-service-reviews-test-v2.yaml',
      'virtual-service-reviews-v3.yaml',
    ]);
  });

  it.each(files)('%s loads and validates', (file) => {
    const objects = load(`networking/${file}`);
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.every((o) => o.apiVersion === 'networking.istio.io/v1')).toBe(true);
  });

  it('is checked by the Istio validator, which refuses what Istio refuses', () => {
    const delay = readFileSync(`${folder}virtual-service-ratings-test-delay.yaml`, 'utf8');
    const broken = loadDocuments(delay.replace('fixedDelay: 7s', 'fixedDelay: seven'), 'broken.yaml');
    expect(broken.errors).toHaveLength(1);
    expect(broken.errors[0].message).toMatch(/fixedDelay/);
  });

  it('routes only to subsets the destination rules define', () => {
    const subsets = new Set(
      load('networking/destination-rule-all.yaml').flatMap((rule) => {
        const spec = rule.spec as { host: string; subsets: { name: string }[] };
        return spec.subsets.map((s) => `${spec.host}/${s.name}`);
      }),
    );
    const used = files
      .filter((f) => f.startsWith('virtual-service-'))
      .flatMap((f) => load(`networking/${f}`))
      .flatMap((vs) => (vs.spec as { http: { route: { destination: { host: string; subset?: string } }[] }[] }).http)
      .flatMap((route) => route.route.map((r) => `${r.destination.host}/${r.destination.subset}`));
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((u) => !subsets.has(u))).toEqual([]);
  });
});
