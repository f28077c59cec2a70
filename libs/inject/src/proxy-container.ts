import { Annotation } from './annotations.ts';
import type { AppProber } from './app-probes.ts';
import type { EffectiveConfig } from './effective-config.ts';
import { InjectionError } from './injection-error.ts';
import type { InjectionSettings } from './injection-settings.ts';
import type { KubeContainer, KubeEnvVar } from './kube-shapes.ts';
import { proxyResources } from './proxy-resources.ts';
import type { WorkloadRef } from './workload-ref.ts';

export const PROXY_CONTAINER_NAME = 'istio-proxy';
/** The agent's readiness endpoint (`/healthz/ready`) and the proxy's Prometheus port. */
export const READINESS_PORT = 15021;
const PROMETHEUS_PORT = 15090;
const PROXY_UID = 1337;
const CLUSTER_DOMAIN = 'cluster.local';
const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'];

export interface ProxyContainerInput {
  image: string;
  settings: InjectionSettings;
  config: EffectiveConfig;
  annotations: Record<string, string>;
  /** The pod's labels after injection (they reach istiod in the node metadata). */
  labels: Record<string, string>;
  appContainers: KubeContainer[];
  probers: Record<string, AppProber>;
  workload: WorkloadRef;
  where: string;
}

/** `istio-proxy`: pilot-agent, which writes the bootstrap and runs the proxy beside the app. */
export function proxyContainer(input: ProxyContainerInput): KubeContainer {
  const { config, annotations, where } = input;
  const tproxy = config.interceptionMode === 'TPROXY';
  const container: KubeContainer = {
    name: PROXY_CONTAINER_NAME,
    image: input.image,
    ports: [{ containerPort: PROMETHEUS_PORT, protocol: 'TCP', name: 'http-envoy-prom' }],
    args: agentArgs(annotations, where),
    env: proxyEnv(input),
    imagePullPolicy: 'IfNotPresent',
    readinessProbe: {
      httpGet: { path: '/healthz/ready', port: READINESS_PORT },
      initialDelaySeconds: seconds(annotations, Annotation.readinessInitialDelay, 0, where),
      periodSeconds: seconds(annotations, Annotation.readinessPeriod, 15, where),
      timeoutSeconds: 3,
      failureThreshold: seconds(annotations, Annotation.readinessFailureThreshold, 4, where),
    },
    startupProbe: {
      httpGet: { path: '/healthz/ready', port: READINESS_PORT },
      periodSeconds: 1,
      timeoutSeconds: 3,
      failureThreshold: 600,
    },
    resources: proxyResources(annotations, where),
    // TPROXY needs NET_ADMIN to open transparent sockets, so the proxy runs as root there.
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: tproxy ? { add: ['NET_ADMIN'], drop: ['ALL'] } : { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: PROXY_UID,
      runAsNonRoot: !tproxy,
      runAsUser: tproxy ? 0 : PROXY_UID,
    },
    volumeMounts: [
      { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
      { mountPath: '/var/run/secrets/credential-uds', name: 'credential-socket' },
      { mountPath: '/var/run/secrets/workload-spiffe-credentials', name: 'workload-certs' },
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { mountPath: '/etc/istio/pod', name: 'istio-podinfo' },
    ],
  };
  // The app starts only once the proxy is ready: the kubelet waits for this hook to return
  // before it starts the next container.
  if (config.holdApplicationUntilProxyStarts) container.lifecycle = { postStart: { exec: { command: ['pilot-agent', 'wait'] } } };
  return container;
}

function agentArgs(annotations: Record<string, string>, where: string): string[] {
  const args = ['proxy', 'sidecar', '--domain', `$(POD_NAMESPACE).svc.${CLUSTER_DOMAIN}`];
  const level = annotations[Annotation.logLevel];
  if (level !== undefined) {
    if (!LOG_LEVELS.includes(level)) throw new InjectionError(`${where}: annotation ${Annotation.logLevel}: must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
    args.push(`--proxy-log-level=${level}`);
  }
  return args;
}

function proxyEnv(input: ProxyContainerInput): KubeEnvVar[] {
  const { settings, config, workload } = input;
  const field = (name: string, fieldPath: string): KubeEnvVar => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
  const value = (name: string, text: string): KubeEnvVar => ({ name, value: text });
  const ports = input.appContainers.flatMap((c) => c.ports ?? []);
  const env: KubeEnvVar[] = [
    value('PILOT_CERT_PROVIDER', 'istiod'),
    value('CA_ADDR', String(config.proxyConfig.discoveryAddress)),
    field('POD_NAME', 'metadata.name'),
    field('POD_NAMESPACE', 'metadata.namespace'),
    field('INSTANCE_IP', 'status.podIP'),
    field('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    field('HOST_IP', 'status.hostIP'),
    value('PROXY_CONFIG', JSON.stringify(config.proxyConfig)),
    value('ISTIO_META_POD_PORTS', JSON.stringify(ports)),
    value('ISTIO_META_APP_CONTAINERS', input.appContainers.map((c) => c.name).join(',')),
    value('ISTIO_META_CLUSTER_ID', settings.clusterId),
    field('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    value('ISTIO_META_INTERCEPTION_MODE', config.interceptionMode),
    value('ISTIO_META_WORKLOAD_NAME', workload.name),
    value('ISTIO_META_OWNER', workload.owner),
    value('ISTIO_META_MESH_ID', settings.trustDomain),
    value('TRUST_DOMAIN', settings.trustDomain),
    value('ISTIO_METAJSON_LABELS', JSON.stringify(input.labels)),
  ];
  const named = new Set(env.map((e) => e.name));
  for (const [name, text] of Object.entries(config.proxyMetadata)) {
    if (!named.has(name)) env.push(value(name, text));
  }
  const prometheus = appPrometheusAnnotations(input.annotations);
  if (prometheus !== undefined) env.push(value('ISTIO_PROMETHEUS_ANNOTATIONS', JSON.stringify(prometheus)));
  if (Object.keys(input.probers).length > 0) env.push(value('ISTIO_KUBE_APP_PROBERS', JSON.stringify(input.probers)));
  return env;
}

/** An app that asked Prometheus to scrape it keeps being scraped: the agent merges its
 *  metrics into its own on the status port, which the pod's annotations then name. */
export function appPrometheusAnnotations(annotations: Record<string, string>): { scrape: string; port: string; path: string } | undefined {
  if (annotations[Annotation.prometheusScrape] !== 'true') return undefined;
  const port = annotations[Annotation.prometheusPort];
  if (port === undefined) return undefined;
  return { scrape: 'true', port, path: annotations[Annotation.prometheusPath] ?? '/metrics' };
}

function seconds(annotations: Record<string, string>, name: string, fallback: number, where: string): number {
  const text = annotations[name];
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new InjectionError(`${where}: annotation ${name}: must be a whole number, got "${text}"`);
  return Number(text.trim());
}
