import { readFileSync, writeFileSync } from 'node:fs';
import type { Deployment, Pod } from '@mizzen/config';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { defaultInjectionSettings, type InjectionSettings } from './injection-settings.ts';
import { injectPod, injectWorkload } from './inject-pod.ts';
import type { KubeContainer, KubeEnvVar } from './kube-shapes.ts';

// Golden files hold the injected object; UPDATE_GOLDEN=1 rewrites them after a deliberate change.
function expectGolden(name: string, actual: unknown): void {
  const url = new URL(`./testdata/${name}.golden.yaml`, import.meta.url);
  const text = stringify(actual, { lineWidth: 0 });
  if (process.env.UPDATE_GOLDEN) writeFileSync(url, text);
  expect(text).toBe(readFileSync(url, 'utf8'));
}

function input<T>(name: string): T {
  return parse(readFileSync(new URL(`./testdata/${name}.input.yaml`, import.meta.url), 'utf8')) as T;
}

const settings = (overrides: Partial<InjectionSettings> = {}): InjectionSettings => ({ ...defaultInjectionSettings(), proxyImage: 'mizzen/proxyv2:test', ...overrides });

function container(pod: { spec: { containers: unknown[] } }, name: string): KubeContainer {
  const found = (pod.spec.containers as KubeContainer[]).find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

function env(c: KubeContainer, name: string): string | undefined {
  return (c.env as KubeEnvVar[] | undefined)?.find((e) => e.name === name)?.value;
}

describe('injectWorkload', () => {
  it('injects the Bookinfo reviews-v2 Deployment as Istio does', () => {
    const deployment = input<Deployment>('bookinfo-reviews-v2');
    const injected = injectWorkload(deployment, settings());
    expectGolden('bookinfo-reviews-v2', injected);
    const template = injected.spec.template;
    expect(template.spec.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
    expect(template.spec.initContainers?.[0].args).toEqual(['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020']);
    expect(template.spec.containers.map((c) => c.name)).toEqual(['reviews', 'istio-proxy']);
    const proxy = container(template, 'istio-proxy');
    expect(env(proxy, 'ISTIO_META_WORKLOAD_NAME')).toBe('reviews-v2');
    expect(env(proxy, 'ISTIO_META_OWNER')).toBe('kubernetes://apis/apps/v1/namespaces/default/deployments/reviews-v2');
    expect(template.metadata?.labels).toMatchObject({ 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': 'reviews', 'service.istio.io/canonical-revision': 'v2' });
  });

  it('leaves its input as it was', () => {
    const deployment = input<Deployment>('bookinfo-reviews-v2');
    const before = structuredClone(deployment);
    injectWorkload(deployment, settings());
    expect(deployment).toEqual(before);
  });

  it('names the workload when it has no pod template', () => {
    const broken = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'data' }, spec: {} };
    expect(() => injectWorkload(broken, settings())).toThrow('StatefulSet data/db: spec.template.spec: missing');
  });
});

describe('injectPod', () => {
  it('honours the capture, resource, log level and proxy.istio.io/config annotations', () => {
    const pod = injectPod(input<Pod>('annotated-pod'), settings());
    expectGolden('annotated-pod', pod);
    const init = pod.spec.initContainers![0];
    expect(init.args).toEqual([
      'istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT',
      '-i', '10.96.0.0/12', '-x', '169.254.169.254/32,10.0.0.0/8', '-b', '8080,9000,9001', '-d', '15090,15021,9000,9001,15020', '-o', '5432', '--redirect-dns',
    ]);
    // holdApplicationUntilProxyStarts: the proxy comes first and holds the app back.
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['istio-proxy', 'httpbin']);
    const proxy = container(pod, 'istio-proxy');
    expect(proxy.lifecycle).toEqual({ postStart: { exec: { command: ['pilot-agent', 'wait'] } } });
    expect(proxy.args).toContain('--proxy-log-level=debug');
    expect(env(proxy, 'ISTIO_META_DNS_CAPTURE')).toBe('true');
    expect(JSON.parse(env(proxy, 'PROXY_CONFIG')!)).toEqual({
      discoveryAddress: 'istiod.istio-system.svc:15012',
      holdApplicationUntilProxyStarts: true,
      concurrency: 2,
      proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true', ISTIO_META_DNS_AUTO_ALLOCATE: 'true' },
    });
    expect(pod.metadata.labels).toMatchObject({ 'service.istio.io/canonical-name': 'httpbin', 'service.istio.io/canonical-revision': '2.1' });
  });

  it('sends app probes through the agent and tells it the originals', () => {
    const pod = injectPod(input<Pod>('probes-pod'), settings());
    expectGolden('probes-pod', pod);
    const details = container(pod, 'details');
    expect(details.readinessProbe).toEqual({ httpGet: { path: '/app-health/details/readyz', port: 15020 }, initialDelaySeconds: 2, periodSeconds: 5 });
    expect(details.livenessProbe?.httpGet).toEqual({ path: '/app-health/details/livez', port: 15020, scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] });
    expect(details.startupProbe).toEqual({ httpGet: { path: '/app-health/details/startupz', port: 15020 }, failureThreshold: 30 });
    const cache = container(pod, 'cache');
    expect(cache.readinessProbe).toEqual({ exec: { command: ['redis-cli', 'ping'] } });
    expect(JSON.parse(env(container(pod, 'istio-proxy'), 'ISTIO_KUBE_APP_PROBERS')!)).toEqual({
      '/app-health/cache/livez': { grpc: { port: 6380 }, timeoutSeconds: 1 },
      '/app-health/details/livez': { httpGet: { path: '/live', port: 9443, scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] }, timeoutSeconds: 2 },
      '/app-health/details/readyz': { httpGet: { path: '/health', port: 9080 } },
      '/app-health/details/startupz': { tcpSocket: { port: 9080 } },
    });
    // A pod from a Deployment belongs to the Deployment, found from its name and template hash.
    expect(env(container(pod, 'istio-proxy'), 'ISTIO_META_WORKLOAD_NAME')).toBe('details-v1');
  });

  it('keeps the probes when the pod says not to rewrite them', () => {
    const original = input<Pod>('probes-pod');
    original.metadata.annotations = { 'sidecar.istio.io/rewriteAppHTTPProbers': 'false' };
    const pod = injectPod(original, settings());
    expect(container(pod, 'details').readinessProbe).toEqual(container(original, 'details').readinessProbe);
    expect(env(container(pod, 'istio-proxy'), 'ISTIO_KUBE_APP_PROBERS')).toBeUndefined();
  });

  it('adds no init container without capture, and names the discovery address it was given', () => {
    const pod = injectPod(input<Pod>('interception-none-pod'), settings({ interceptionMode: 'NONE', discoveryAddress: '10.244.3.1:15010' }));
    expectGolden('interception-none-pod', pod);
    expect(pod.spec.initContainers).toBeUndefined();
    const proxy = container(pod, 'istio-proxy');
    expect(env(proxy, 'ISTIO_META_INTERCEPTION_MODE')).toBe('NONE');
    expect(env(proxy, 'CA_ADDR')).toBe('10.244.3.1:15010');
    expect(JSON.parse(env(proxy, 'ISTIO_METAJSON_LABELS')!)).toMatchObject({ app: 'hello-backend', 'security.istio.io/tlsMode': 'istio' });
    expect(pod.status).toEqual({ podIP: '10.244.3.5' });
    expect(JSON.parse(pod.metadata.annotations!['sidecar.istio.io/status'])).toEqual({
      initContainers: null,
      containers: ['istio-proxy'],
      volumes: ['workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'],
      imagePullSecrets: null,
      revision: 'default',
    });
  });

  it('captures DNS when the mesh asks for it', () => {
    const pod = injectPod(input<Pod>('interception-none-pod'), settings({ dnsCapture: true }));
    expect(pod.spec.initContainers![0].args).toContain('--redirect-dns');
    expect(env(container(pod, 'istio-proxy'), 'ISTIO_META_DNS_CAPTURE')).toBe('true');
  });

  it('runs the proxy as root with NET_ADMIN in TPROXY mode', () => {
    const original = input<Pod>('interception-none-pod');
    original.metadata.annotations = { 'sidecar.istio.io/interceptionMode': 'TPROXY' };
    const pod = injectPod(original, settings());
    expect(pod.spec.initContainers![0].args).toEqual(expect.arrayContaining(['-m', 'TPROXY']));
    expect(container(pod, 'istio-proxy').securityContext).toMatchObject({ runAsUser: 0, runAsNonRoot: false, capabilities: { add: ['NET_ADMIN'] } });
  });

  it('lets the app keep its own metrics scraped through the agent', () => {
    const original = input<Pod>('interception-none-pod');
    original.metadata.annotations = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' };
    const pod = injectPod(original, settings());
    expect(pod.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15020', 'prometheus.io/path': '/stats/prometheus' });
    expect(JSON.parse(env(container(pod, 'istio-proxy'), 'ISTIO_PROMETHEUS_ANNOTATIONS')!)).toEqual({ scrape: 'true', port: '9102', path: '/metrics' });
  });

  it.each([
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.0/33', 'annotation traffic.sidecar.istio.io/excludeOutboundIPRanges: must be a comma-separated list of CIDRs, got "10.0.0.0/33"'],
    ['traffic.sidecar.istio.io/excludeInboundPorts', '80,http', 'annotation traffic.sidecar.istio.io/excludeInboundPorts: must be a comma-separated list of ports, got "80,http"'],
    ['sidecar.istio.io/interceptionMode', 'MAGIC', 'annotation sidecar.istio.io/interceptionMode: must be one of REDIRECT, TPROXY, NONE, got "MAGIC"'],
    ['proxy.istio.io/config', 'holdApplicationUntilProxyStarts: "yes"', 'annotation proxy.istio.io/config.holdApplicationUntilProxyStarts: must be true or false, got "yes"'],
    ['proxy.istio.io/config', '[1, 2', 'annotation proxy.istio.io/config: not valid YAML or JSON'],
    ['proxy.istio.io/config', 'proxyMetadata: {A: 1}', 'annotation proxy.istio.io/config.proxyMetadata: must be a map of strings'],
    ['sidecar.istio.io/proxyMemory', 'lots', 'annotation sidecar.istio.io/proxyMemory: must be a Kubernetes quantity'],
    ['status.sidecar.istio.io/port', '70000', 'annotation status.sidecar.istio.io/port: must be a port (1-65535), got "70000"'],
  ])('refuses %s: %s, naming the pod', (name, value, message) => {
    const original = input<Pod>('interception-none-pod');
    original.metadata.annotations = { [name]: value };
    expect(() => injectPod(original, settings())).toThrow(`Pod default/hello-backend-7c9f8d6b5d-abcde: ${message}`);
  });

  it('refuses an annotation that is not a string, as an unquoted YAML number is', () => {
    const original = input<Pod>('interception-none-pod');
    (original.metadata as { annotations?: unknown }).annotations = { 'traffic.sidecar.istio.io/excludeOutboundPorts': 5432 };
    expect(() => injectPod(original, settings())).toThrow(
      'Pod default/hello-backend-7c9f8d6b5d-abcde: metadata.annotations.traffic.sidecar.istio.io/excludeOutboundPorts: must be a string, got number 5432 (quote it in YAML)',
    );
  });

  it('refuses a pod with no containers or one already named istio-proxy', () => {
    const empty = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } } as Pod;
    expect(() => injectPod(empty, settings())).toThrow('Pod default/p: spec.containers: a pod needs at least one container');
    const clash = { ...empty, spec: { containers: [{ name: 'istio-proxy' }] } } as Pod;
    expect(() => injectPod(clash, settings())).toThrow('Pod default/p: spec.containers[0]: a container is already named istio-proxy');
  });
});
