import { TypeUrl, type JsonObject } from '@mizzen/xds';
import { isExportedTo } from '../model/host.ts';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { endpointKey } from '../model/service-registry.ts';
import type { Generator } from './generator.ts';

/** One entry of Istio's NameTable (istio.networking.nds.v1.NameTable.NameInfo). */
interface NameInfo {
  ips: string[];
  registry: string;
  shortname?: string;
  namespace?: string;
}

/**
 * Istio's name table for one proxy, which its agent's DNS proxy answers from: every service the
 * proxy can see, by hostname, with its virtual IP (a headless service: its pods' IPs). The
 * agent derives the short names (`reviews`, `reviews.default`, `reviews.default.svc`) from a
 * Kubernetes service's shortname and namespace. Wildcard hosts and hosts without an address
 * are left out: there is nothing to answer with.
 */
export function buildNameTable(push: PushContext, proxy: Proxy): JsonObject {
  const table: Record<string, NameInfo> = {};
  for (const service of push.registry.services) {
    if (service.hostname.startsWith('*') || !isExportedTo(service.exportTo, service.namespace, proxy.namespace)) continue;
    const ips = service.clusterIP ? [service.clusterIP] : podIps(push, service.hostname, service.ports.map((p) => p.port));
    if (ips.length === 0) continue;
    table[service.hostname] = service.serviceEntry
      ? { ips, registry: 'External' }
      : { ips, registry: 'Kubernetes', shortname: service.name, namespace: service.namespace };
  }
  return { table };
}

function podIps(push: PushContext, hostname: string, ports: number[]): string[] {
  const ips = new Set<string>();
  for (const port of ports) for (const endpoint of push.registry.endpoints.get(endpointKey(hostname, port)) ?? []) ips.add(endpoint.address);
  return [...ips].sort();
}

export const nds: Generator = {
  shortName: 'NDS',
  typeUrl: TypeUrl.NameTable,
  generate: (push, proxy) => [buildNameTable(push, proxy)],
};
