import type { Deployment, KubeObject, Pod } from '@mizzen/config';

/**
 * POD[.NAMESPACE] among loaded objects: a Pod by exact name, else the one Pod whose name starts
 * with it, else the pod template of a Deployment so named (or whose pods would be so named),
 * so that config files without Pod objects can be described too.
 */
export function findPod(objects: readonly KubeObject[], reference: string, defaultNamespace = 'default'): Pod {
  const dot = reference.indexOf('.');
  const name = dot < 0 ? reference : reference.slice(0, dot);
  const namespace = dot < 0 ? defaultNamespace : reference.slice(dot + 1);
  const inNamespace = objects.filter((o) => (o.metadata.namespace ?? 'default') === namespace);
  const pods = inNamespace.filter((o): o is Pod => o.kind === 'Pod');
  const exact = pods.find((p) => p.metadata.name === name);
  if (exact) return exact;
  const prefixed = pods.filter((p) => p.metadata.name.startsWith(name));
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) throw new Error(`pod ${reference}: ambiguous, matches ${prefixed.map((p) => p.metadata.name).join(', ')}`);
  const deployments = inNamespace.filter((o): o is Deployment => o.kind === 'Deployment');
  const byPrefix = deployments.filter((d) => d.metadata.name.startsWith(name));
  const owner =
    deployments.find((d) => d.metadata.name === name) ?? deployments.find((d) => name.startsWith(`${d.metadata.name}-`)) ?? (byPrefix.length === 1 ? byPrefix[0] : undefined);
  if (!owner && byPrefix.length > 1) throw new Error(`pod ${reference}: ambiguous, matches the pods of Deployments ${byPrefix.map((d) => d.metadata.name).join(', ')}`);
  if (owner) {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...owner.spec.template.metadata, name: name.startsWith(`${owner.metadata.name}-`) ? name : `${owner.metadata.name} (a pod of Deployment ${owner.metadata.name})`, namespace },
      spec: owner.spec.template.spec,
    } as Pod;
  }
  throw new Error(`pod ${name} in namespace ${namespace}: no such Pod, nor a Deployment making it`);
}
