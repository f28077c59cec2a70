import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import type { Service } from '@mizzen/config';
import type { PodPlan } from './pod-plan.ts';

// A Service of type LoadBalancer (the ingress gateway's) is reachable from outside the cluster.
// On one machine "outside" is the host: the runner listens on the host's loopback and passes
// each connection to a pod the service selects, as `minikube tunnel` or kind's port mapping
// would. Only loopback, so that nothing outside the machine reaches the mesh.

export interface ExposedPort {
  service: string;
  port: number;
  /** Where the host reaches it: 127.0.0.1:hostPort. */
  hostPort: number;
  target: string;
}

export interface LoadBalancerPlan {
  service: string;
  port: number;
  /** The pods' addresses, each with the target port. */
  targets: { host: string; port: number }[];
}

/** For each TCP port of each LoadBalancer Service, the selected pods at its target port. */
export function loadBalancerPlans(services: Service[], pods: PodPlan[]): LoadBalancerPlan[] {
  const plans: LoadBalancerPlan[] = [];
  for (const service of services) {
    if (service.spec.type !== 'LoadBalancer' || !service.spec.selector) continue;
    const namespace = service.metadata.namespace ?? 'default';
    const selected = pods.filter((p) => p.namespace === namespace && Object.entries(service.spec.selector!).every(([k, v]) => p.labels[k] === v));
    for (const port of service.spec.ports ?? []) {
      if ((port.protocol ?? 'TCP') !== 'TCP') continue;
      const targets = selected.flatMap((pod) => {
        const target = containerPort(pod, port.targetPort ?? port.port);
        return target === undefined ? [] : [{ host: pod.ip, port: target }];
      });
      if (targets.length > 0) plans.push({ service: `${service.metadata.name}.${namespace}`, port: port.port, targets });
    }
  }
  return plans;
}

function containerPort(pod: PodPlan, target: number | string): number | undefined {
  if (typeof target === 'number') return target;
  for (const container of pod.pod.spec.containers) {
    const match = (container.ports ?? []).find((p) => p.name === target);
    if (match) return match.containerPort;
  }
  return undefined;
}

/** Listens on 127.0.0.1 at the service's own port when free, else at a port the kernel picks,
 *  and spreads connections over the targets in turn. */
export async function exposeOnLoopback(plan: LoadBalancerPlan): Promise<{ exposed: ExposedPort; server: Server }> {
  let next = 0;
  // Half-open both ways: a client that finishes sending still gets the whole answer.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const target = plan.targets[next++ % plan.targets.length];
    const upstream = connect({ port: target.port, host: target.host, allowHalfOpen: true });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const listen = async (port: number): Promise<void> => {
    server.listen(port, '127.0.0.1');
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
  };
  await listen(plan.port).catch(() => listen(0));
  const hostPort = (server.address() as AddressInfo).port;
  return { exposed: { service: plan.service, port: plan.port, hostPort, target: plan.targets.map((t) => `${t.host}:${t.port}`).join(',') }, server };
}
