import type { Container, Deployment, Pod } from '@mizzen/config';
import { podName, podTemplateHash, randomSuffix } from './pod-naming.ts';

/** One process of a pod: what it runs, with which environment, as which user. */
export interface PlannedContainer {
  name: string;
  /** The command and its arguments (Kubernetes' `command` then `args`, `$(VAR)` expanded). */
  argv: string[];
  env: Record<string, string>;
  /** Undefined: root. */
  user?: { uid: number; gid: number };
}

/** A pod the runner will start, and the Pod object that describes it to istiod. */
export interface PodPlan {
  name: string;
  namespace: string;
  deployment: string;
  ip: string;
  labels: Record<string, string>;
  serviceAccount: string;
  /** Run one after the other before the containers, each to completion (istio-init). */
  initContainers: PlannedContainer[];
  containers: PlannedContainer[];
  pod: Pod;
}

export interface PlanOptions {
  /** The address of the n-th pod (0-based). */
  address: (index: number) => string;
  suffix?: () => string;
  /** The pod as the sidecar injector leaves it. */
  inject?: (pod: Pod) => Pod;
  /** What a container that names no command runs (its image's entrypoint and its args, for
   *  the sidecar's containers); undefined when unknown. */
  entrypoint?: (container: Container, pod: Pod) => string[] | undefined;
  /** What the downward API gives as status.hostIP and spec.nodeName. */
  node?: { hostIP: string; name: string };
}

/** The user an app container runs as when neither it nor its pod says: an unprivileged one
 *  (distroless' "nonroot"), never the proxy's 1337, whose traffic capture lets through. */
export const defaultRunAsUser = 65532;

/** Expands every replica of every Deployment into a pod with a name and an address. */
export function planPods(deployments: Deployment[], options: PlanOptions): PodPlan[] {
  const pods: PodPlan[] = [];
  for (const deployment of deployments) {
    const replicas = deployment.spec.replicas ?? 1;
    const hash = podTemplateHash(deployment.spec.template);
    for (let i = 0; i < replicas; i++) {
      pods.push(planPod(deployment, podName(deployment.metadata.name, hash, (options.suffix ?? randomSuffix)()), hash, options.address(pods.length), options));
    }
  }
  return pods;
}

function planPod(deployment: Deployment, name: string, hash: string, ip: string, options: PlanOptions): PodPlan {
  const namespace = deployment.metadata.namespace ?? 'default';
  const template = deployment.spec.template;
  const labels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
  const serviceAccount = template.spec.serviceAccountName ?? 'default';
  const plain: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}) },
    spec: { ...template.spec, serviceAccountName: serviceAccount, ...(options.node ? { nodeName: options.node.name } : {}) },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], ...(options.node ? { hostIP: options.node.hostIP } : {}) },
  };
  const where = `Deployment ${namespace}/${deployment.metadata.name}`;
  let pod = plain;
  try {
    pod = options.inject ? options.inject(plain) : plain;
  } catch (error) {
    throw new Error(`${where}: sidecar injection: ${(error as Error).message}`);
  }
  const plan = (list: Container[] | undefined, field: string): PlannedContainer[] =>
    (list ?? []).map((container, i) => planContainer(container, pod, `${where}: spec.template.spec.${field}[${i}]`, options.entrypoint));
  return {
    name,
    namespace,
    deployment: deployment.metadata.name,
    ip,
    labels: pod.metadata.labels ?? labels,
    serviceAccount,
    initContainers: plan(pod.spec.initContainers, 'initContainers'),
    containers: plan(pod.spec.containers, 'containers'),
    pod,
  };
}

interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
}

function planContainer(container: Container, pod: Pod, where: string, entrypoint: PlanOptions['entrypoint']): PlannedContainer {
  const env: Record<string, string> = {};
  (container.env ?? []).forEach((variable, i) => {
    // As Kubernetes does, a value may name variables defined before it: $(NAME).
    env[variable.name] = expand(envValue(variable as EnvVar, pod, `${where}.env[${i}]`), env);
  });
  const written = container.command && container.command.length > 0 ? [...container.command, ...(container.args ?? [])] : entrypoint?.(container, pod);
  if (!written) {
    throw new Error(`${where}.command: required to run locally (images are not pulled; the command names the process to run)`);
  }
  const argv = written.map((arg) => expand(arg, env));
  const own = (container as { securityContext?: SecurityContext }).securityContext ?? {};
  const shared = (pod.spec as { securityContext?: SecurityContext }).securityContext ?? {};
  const uid = own.runAsUser ?? shared.runAsUser ?? defaultRunAsUser;
  const gid = own.runAsGroup ?? shared.runAsGroup ?? uid;
  return { name: container.name, argv, env, ...(uid === 0 ? {} : { user: { uid, gid } }) };
}

/** Kubernetes' `$(NAME)` references to the container's variables; `$$` escapes, and an
 *  unknown name stays as written. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => (name === undefined ? '$' : (env[name] ?? match)));
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}

/** A literal value, or one of the pod's own fields as Kubernetes' downward API gives them. */
function envValue(variable: EnvVar, pod: Pod, where: string): string {
  if (variable.valueFrom === undefined) return String(variable.value ?? '');
  const path = variable.valueFrom.fieldRef?.fieldPath;
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path ?? '');
  if (label) return (label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[label[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
      return (pod.status as { hostIP?: string } | undefined)?.hostIP ?? '';
    case 'spec.nodeName':
      return (pod.spec as { nodeName?: string }).nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    default:
      throw new Error(`${where}.valueFrom: only fieldRef with metadata.name, metadata.namespace, metadata.labels['KEY'], metadata.annotations['KEY'], status.podIP, status.hostIP, spec.nodeName or spec.serviceAccountName runs locally, got ${JSON.stringify(variable.valueFrom)}`);
  }
}
