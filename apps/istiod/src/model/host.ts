import { clusterDomain } from './service.ts';

// Host names as Istio's networking resources write them.

/** A short name ("reviews") means a service in the resource's own namespace; anything with a
 *  dot, and wildcards, are taken as written. */
export function resolveHost(host: string, namespace: string): string {
  if (host.startsWith('*') || host.includes('.')) return host;
  return `${host}.${namespace}.svc.${clusterDomain}`;
}

/** "*" matches every host, "*.example.com" every host under example.com, anything else only
 *  itself. */
export function hostMatches(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1));
  return pattern === hostname;
}

/** How closely a pattern names a host, to prefer "reviews.default.svc.cluster.local" over
 *  "*.default.svc.cluster.local" over "*"; lower is closer. */
export function hostSpecificity(pattern: string): number {
  return pattern.startsWith('*') ? 1000 - pattern.length : 0;
}

/** Istio's exportTo: absent or "*" means every namespace, "." the resource's own. */
export function isExportedTo(exportTo: string[] | undefined, resourceNamespace: string, namespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((to) => to === '*' || to === namespace || (to === '.' && resourceNamespace === namespace));
}
