import type { Pod, PodSpec } from '@mizzen/config';
import { Annotation, Label } from './annotations.ts';
import { rewriteAppProbes } from './app-probes.ts';
import { effectiveConfig } from './effective-config.ts';
import { initContainer, INIT_CONTAINER_NAME } from './init-container.ts';
import { InjectionError } from './injection-error.ts';
import type { InjectionSettings } from './injection-settings.ts';
import type { KubeContainer, KubeMeta, KubePodSpec } from './kube-shapes.ts';
import { appPrometheusAnnotations, PROXY_CONTAINER_NAME, proxyContainer } from './proxy-container.ts';
import { checkStringMaps } from './string-maps.ts';
import { podWorkloadRef, workloadRef, type WorkloadRef } from './workload-ref.ts';

/** The volumes the proxy container mounts, in Istio's order. */
const PROXY_VOLUMES: Record<string, unknown>[] = [
  { name: 'workload-socket', emptyDir: {} },
  { name: 'credential-socket', emptyDir: {} },
  { name: 'workload-certs', emptyDir: {} },
  { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
  { name: 'istio-data', emptyDir: {} },
  {
    name: 'istio-podinfo',
    downwardAPI: {
      items: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
      ],
    },
  },
  { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
  { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
];

/** The pod as Istio's injector would leave it. Never mutates its input; throws
 *  InjectionError naming the pod, the field and the reason when an annotation is wrong. */
export function injectPod(pod: Pod, settings: InjectionSettings): Pod {
  const metadata = (pod.metadata ?? {}) as KubeMeta;
  const where = `Pod ${metadata.namespace ?? 'default'}/${metadata.name ?? metadata.generateName ?? '<no name>'}`;
  const injected = injectTemplate({ metadata, spec: pod.spec as KubePodSpec }, settings, podWorkloadRef(metadata), where, 'spec');
  return { ...structuredClone(pod), metadata: injected.metadata as Pod['metadata'], spec: injected.spec as PodSpec };
}

/** The same for a Deployment, StatefulSet, DaemonSet, Job, ReplicaSet or any workload whose
 *  pods come from `spec.template`. */
export function injectWorkload<T extends { spec?: { template?: { metadata?: object; spec?: PodSpec } } }>(workload: T, settings: InjectionSettings): T {
  const object = workload as unknown as { apiVersion?: string; kind?: string; metadata?: KubeMeta };
  const metadata = object.metadata ?? {};
  const kind = object.kind ?? 'Workload';
  const where = `${kind} ${metadata.namespace ?? 'default'}/${metadata.name ?? '<no name>'}`;
  const template = workload.spec?.template;
  if (template?.spec === undefined) throw new InjectionError(`${where}: spec.template.spec: missing, so there is no pod to inject`);
  // Pods of the workload live in its namespace; the template rarely says so itself.
  const templateMeta: KubeMeta = { ...(template.metadata as KubeMeta | undefined) };
  const ref = workloadRef(object.apiVersion ?? 'v1', kind, metadata);
  const injected = injectTemplate({ metadata: templateMeta, spec: template.spec as unknown as KubePodSpec }, settings, ref, where, 'spec.template.spec');
  const copy = structuredClone(workload);
  copy.spec!.template = { ...copy.spec!.template, metadata: injected.metadata, spec: injected.spec as unknown as PodSpec };
  return copy;
}

interface PodTemplate {
  metadata: KubeMeta;
  spec: KubePodSpec;
}

function injectTemplate(template: PodTemplate, settings: InjectionSettings, workload: WorkloadRef, where: string, specPath: string): PodTemplate {
  const original = structuredClone(template);
  checkStringMaps(original.metadata, where, specPath === 'spec' ? 'metadata' : 'spec.template.metadata');
  const spec = original.spec;
  if (spec === undefined || spec === null || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    throw new InjectionError(`${where}: ${specPath}.containers: a pod needs at least one container`);
  }
  spec.containers.forEach((container, i) => {
    if (typeof container?.name !== 'string' || container.name === '') throw new InjectionError(`${where}: ${specPath}.containers[${i}].name: required`);
    if (container.name === PROXY_CONTAINER_NAME) throw new InjectionError(`${where}: ${specPath}.containers[${i}]: a container is already named ${PROXY_CONTAINER_NAME}`);
  });
  (spec.initContainers ?? []).forEach((container, i) => {
    if (container?.name === INIT_CONTAINER_NAME) throw new InjectionError(`${where}: ${specPath}.initContainers[${i}]: a container is already named ${INIT_CONTAINER_NAME}`);
  });

  const annotations = { ...(original.metadata.annotations ?? {}) };
  const config = effectiveConfig(settings, annotations, where);
  const image = annotations[Annotation.proxyImage] ?? settings.proxyImage;
  const revision = settings.revision ?? 'default';
  const labels = podLabels(original.metadata.labels ?? {}, workload);

  const rewriteProbes = annotations[Annotation.rewriteAppHttpProbers] !== 'false';
  const { containers: appContainers, probers } = rewriteProbes
    ? rewriteAppProbes(spec.containers, config.statusPort)
    : { containers: spec.containers, probers: {} };
  const proxy = proxyContainer({ image, settings, config, annotations, labels, appContainers: spec.containers, probers, workload, where });
  const capture = config.interceptionMode !== 'NONE';
  const initContainers: KubeContainer[] = capture ? [initContainer(image, config, annotations, where), ...(spec.initContainers ?? [])] : (spec.initContainers ?? []);

  // Init containers are written before the containers, as they run first.
  const { initContainers: _old, ...rest } = spec;
  const injectedSpec: KubePodSpec = {
    ...(initContainers.length > 0 ? { initContainers } : {}),
    ...rest,
    containers: config.holdApplicationUntilProxyStarts ? [proxy, ...appContainers] : [...appContainers, proxy],
    volumes: [...(spec.volumes ?? []), ...PROXY_VOLUMES.map((v) => structuredClone(v))],
  };
  const status = {
    initContainers: capture ? [INIT_CONTAINER_NAME] : null,
    containers: [PROXY_CONTAINER_NAME],
    volumes: PROXY_VOLUMES.map((v) => v.name),
    imagePullSecrets: null,
    revision,
  };
  return {
    metadata: { ...original.metadata, labels, annotations: podAnnotations(annotations, spec.containers[0].name, JSON.stringify(status), revision, config.statusPort) },
    spec: injectedSpec,
  };
}

/** The mTLS mode label and the canonical service name and revision that telemetry uses,
 *  unless the pod sets them itself. */
function podLabels(labels: Record<string, string>, workload: WorkloadRef): Record<string, string> {
  return {
    ...labels,
    [Label.tlsMode]: labels[Label.tlsMode] ?? 'istio',
    [Label.canonicalName]: labels[Label.canonicalName] ?? labels['app.kubernetes.io/name'] ?? labels.app ?? workload.name,
    [Label.canonicalRevision]: labels[Label.canonicalRevision] ?? labels['app.kubernetes.io/version'] ?? labels.version ?? 'latest',
  };
}

function podAnnotations(annotations: Record<string, string>, firstApp: string, status: string, revision: string, statusPort: number): Record<string, string> {
  const result: Record<string, string> = {
    [Annotation.defaultContainer]: firstApp,
    [Annotation.defaultLogsContainer]: firstApp,
    ...annotations,
    [Annotation.revision]: revision,
    [Annotation.status]: status,
  };
  // Prometheus scrapes the agent, which serves the proxy's and the app's metrics together;
  // a pod that opted out of scraping stays out.
  if (annotations[Annotation.prometheusScrape] !== 'false') {
    const appMetrics = appPrometheusAnnotations(annotations) !== undefined;
    if (appMetrics || annotations[Annotation.prometheusPort] === undefined) {
      result[Annotation.prometheusScrape] = 'true';
      result[Annotation.prometheusPort] = String(statusPort);
      result[Annotation.prometheusPath] = '/stats/prometheus';
    }
  }
  return result;
}
