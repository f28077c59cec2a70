// A proxyless gRPC client names what it calls as the target "xds:///HOST:PORT", and asks LDS
// (then RDS) for "HOST:PORT". HOST may be any name the service answers to from the client's
// namespace: its FQDN, "name.ns", "name.ns.svc", the short name, or its virtual IP.
import type { Proxy } from '../model/proxy.ts';
import { outboundServicePorts, type PushContext } from '../model/push-context.ts';
import type { MeshService, ServicePort } from '../model/service.ts';
import { serviceDomains } from '../networking/http-route.ts';

export interface ServiceTarget {
  /** The name as the client asked for it, "reviews:9080". */
  name: string;
  service: MeshService;
  port: ServicePort;
}

/** The service port a "HOST:PORT" name stands for, or undefined when there is none. */
export function resolveTarget(push: PushContext, proxy: Proxy, name: string): ServiceTarget | undefined {
  const colon = name.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const portNumber = Number(name.slice(colon + 1));
  if (!Number.isInteger(portNumber)) return undefined;
  const host = name.slice(0, colon);
  for (const { service, port } of outboundServicePorts(push)) {
    if (port.port === portNumber && serviceDomains(service, port.port, proxy.namespace).includes(host)) return { name, service, port };
  }
  return undefined;
}

/** The targets behind a list of names; with no names (a wildcard subscription), every service
 *  port under its FQDN. */
export function resolveTargets(push: PushContext, proxy: Proxy, names: string[]): ServiceTarget[] {
  if (names.length === 0) return outboundServicePorts(push).map(({ service, port }) => ({ name: `${service.hostname}:${port.port}`, service, port }));
  return names.flatMap((name) => resolveTarget(push, proxy, name) ?? []);
}
