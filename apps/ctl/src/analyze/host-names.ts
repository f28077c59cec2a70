import type { KubeObject, ServiceEntry } from '@mizzen/config';
import { namespaceOf, type LoadedObject } from './analysis-message.ts';

const clusterDomain = 'svc.cluster.local';

/** A host as Istio reads it in a resource of the given namespace: a short name is a Service of
 *  that namespace, `name.ns` and `name.ns.svc` are completed to the cluster domain. */
export function fullHostName(host: string, namespace: string): string {
  if (host.includes('*')) return host;
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.${clusterDomain}`;
  if (parts.length === 2) return `${host}.${clusterDomain}`;
  if (parts.length === 3 && parts[2] === 'svc') return `${host}.cluster.local`;
  return host;
}

/** Whether a host, which may be a wildcard such as `*.example.com` or `*`, covers another. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return host.endsWith(pattern.slice(1)) || (host.startsWith('*') && host.endsWith(pattern.slice(1)));
  if (host.startsWith('*')) return pattern.endsWith(host.slice(1));
  return pattern === host;
}

/** Every host the mesh knows: a Service's full name, and each ServiceEntry host. */
export function knownHosts(objects: readonly LoadedObject[]): string[] {
  return objects.flatMap(({ object }) => hostsOf(object));
}

function hostsOf(object: KubeObject): string[] {
  if (object.kind === 'Service') return [`${object.metadata.name}.${namespaceOf(object)}.${clusterDomain}`];
  if (object.kind === 'ServiceEntry') return (object as ServiceEntry).spec.hosts.map((h) => fullHostName(h, namespaceOf(object)));
  return [];
}
