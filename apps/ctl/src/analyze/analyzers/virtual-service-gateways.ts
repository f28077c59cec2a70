import type { Gateway } from '@mizzen/config';
import { messageAbout, namespaceOf, ofKind, type AnalysisMessage, type LoadedObject } from '../analysis-message.ts';
import { hostMatches } from '../host-names.ts';
import { virtualServices } from '../virtual-service-destinations.ts';

/** `name` or `namespace/name`, read in the namespace of the VirtualService that names it. */
export function gatewayKey(reference: string, namespace: string): string {
  return reference.includes('/') ? reference : `${namespace}/${reference}`;
}

/** The hosts a Gateway server offers to VirtualServices of a namespace: a server host may be
 *  `namespace/host`, where `*` is any namespace and `.` the Gateway's own. */
function offeredHosts(hosts: readonly string[], gatewayNamespace: string, vsNamespace: string): string[] {
  return hosts.flatMap((entry) => {
    const slash = entry.indexOf('/');
    if (slash === -1) return [entry];
    const namespace = entry.slice(0, slash);
    const visible = namespace === '*' || namespace === vsNamespace || (namespace === '.' && gatewayNamespace === vsNamespace);
    return visible ? [entry.slice(slash + 1)] : [];
  });
}

/** IST0101 for a gateway a VirtualService names that does not exist; IST0132 for a bound
 *  gateway none of whose servers accepts a host of the VirtualService. */
export function virtualServiceGateways(objects: readonly LoadedObject[]): AnalysisMessage[] {
  const gateways = new Map(ofKind<Gateway>(objects, 'Gateway').map(({ object }) => [`${namespaceOf(object)}/${object.metadata.name}`, object]));
  return virtualServices(objects).flatMap(({ loaded, object, namespace }) =>
    (object.spec.gateways ?? [])
      .flatMap((reference, i) => {
        if (reference === 'mesh') return [];
        const key = gatewayKey(reference, namespace);
        const gateway = gateways.get(key);
        if (gateway === undefined) return [messageAbout(loaded, 'Error', 'IST0101', `Referenced gateway not found: ${JSON.stringify(reference)}`, ['spec', 'gateways', i])];
        const served = gateway.spec.servers.flatMap((server) => offeredHosts(server.hosts, namespaceOf(gateway), namespace));
        const unserved = (object.spec.hosts ?? []).filter((host) => !served.some((pattern) => hostMatches(pattern, host)));
        if (unserved.length === 0) return [];
        return [messageAbout(loaded, 'Warning', 'IST0132', `one or more host [${unserved.join(', ')}] defined in VirtualService ${namespace}/${object.metadata.name} not found in Gateway ${key}.`, ['spec', 'gateways', i])];
      }),
  );
}
