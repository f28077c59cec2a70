import type { Container, Deployment, Pod } from '@mizzen/config';
import { podName, podTemplateHash, randomSuffix } from './pod-naming.ts';

/** One process of a pod: what it runs and with which environment. */
export interface PlannedContainer {
  name: string;
  /** The command and its arguments (Kubernetes' `command` then `args`). */
  argv: string[];
  env: Record<string, string>;
}

/** A pod the runner will start, and the Pod object that describes it to istiod. */
export interface PodPlan {
  name: string;
  namespace: string;
  deployment: string;
  ip: string;
  labels: Record<string, string>;
  serviceAccount: string;
  containers: PlannedContainer[];
  pod: Pod;
}

export interface PlanOptions {
  /** The address of the n-th pod (0-based). */
  address: (index: number) => string;
  suffix?: () => string;
}

/** Expands every replica of every Deployment into a pod with a name and an address. */
export function planPods(deployments: Deployment[], options: PlanOptions): PodPlan[] {
  const pods: PodPlan[] = [];
  for (const deployment of deployments) {
    const replicas = deployment.spec.replicas ?? 1;
    const hash = podTemplateHash(deployment.spec.template);
    for (let i = 0; i < replicas; i++) {
      pods.push(planPod(deployment, podName(deployment.metadata.name, hash, (options.suffix ?? randomSuffix)()), hash, options.address(pods.length)));
    }
  }
  return pods;
}

function planPod(deployment: Deployment, name: string, hash: string, ip: string): PodPlan {
  const namespace = deployment.metadata.namespace ?? 'default';
  const template = deployment.spec.template;
  const labels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
  const serviceAccount = template.spec.serviceAccountName ?? 'default';
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { ...template.spec, serviceAccountName: serviceAccount },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
  const where = `Deployment ${namespace}/${deployment.metadata.name}`;
  const containers = template.spec.containers.map((container, i) => planContainer(container, pod, `${where}: spec.template.spec.containers[${i}]`));
  return { name, namespace, deployment: deployment.metadata.name, ip, labels, serviceAccount, containers, pod };
}

function planContainer(container: Container, pod: Pod, where: string): PlannedContainer {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  if (!container.command || container.command.length === 0) {
    throw new Error(`${where}.command: required to run locally (images are not pulled; the command names the process to run)`);
  }
  const env: Record<string, string> = {};
  (container.env ?? []).forEach((variable, i) => {
    env[variable.name] = envValue(variable as EnvVar, pod, `${where}.env[${i}]`);
  });
  return { name: container.name, argv, env };
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
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path ?? '');
  if (label) return pod.metadata.labels?.[label[1]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    default:
      throw new Error(`${where}.valueFrom: only fieldRef with metadata.name, metadata.namespace, metadata.labels['KEY'], status.podIP or spec.serviceAccountName runs locally, got ${JSON.stringify(variable.valueFrom)}`);
  }
}
