import type { Deployment } from '@mizzen/config';
import { podTemplateHash } from './pod-naming.ts';

// While the mesh runs, the Deployments in the folder are followed as Kubernetes' deployment
// controller follows them: each one's pods are those of its current pod template (by the
// template's hash), as many as `replicas`. A new Deployment gets pods; a removed one loses
// them; a changed template gets new pods (new hash, new names) that replace the old ones;
// a changed count adds pods or removes the newest.

/** A running pod, as the plan sees it. */
export interface RunningPod {
  name: string;
  namespace: string;
  deployment: string;
  /** Its pod-template-hash label. */
  hash: string;
}

export interface RolloutPlan {
  /** Deployments to start pods of, with how many (their other fields as the folder has them). */
  create: { deployment: Deployment; count: number }[];
  /** Pods to stop and remove, by name. */
  remove: string[];
}

const key = (namespace: string | undefined, name: string): string => `${namespace ?? 'default'}/${name}`;

/** What it takes to go from the running pods to the Deployments of the folder. Pods are
 *  listed oldest first; the newest go first when there are too many. */
export function planRollout(running: RunningPod[], deployments: Deployment[]): RolloutPlan {
  const plan: RolloutPlan = { create: [], remove: [] };
  const wanted = new Map(deployments.map((d) => [key(d.metadata.namespace, d.metadata.name), d]));
  for (const pod of running) {
    if (!wanted.has(key(pod.namespace, pod.deployment))) plan.remove.push(pod.name);
  }
  for (const [id, deployment] of wanted) {
    const hash = podTemplateHash(deployment.spec.template);
    const replicas = deployment.spec.replicas ?? 1;
    const own = running.filter((pod) => key(pod.namespace, pod.deployment) === id);
    const current = own.filter((pod) => pod.hash === hash);
    // Pods of an older template are all replaced.
    plan.remove.push(...own.filter((pod) => pod.hash !== hash).map((pod) => pod.name));
    if (current.length < replicas) plan.create.push({ deployment, count: replicas - current.length });
    else plan.remove.push(...current.slice(replicas).map((pod) => pod.name));
  }
  return plan;
}
