// Istio's AUTO_PASSTHROUGH: a gateway server that passes TLS through to whichever mesh cluster
// the client names in its SNI, `outbound_.PORT_.SUBSET_.HOST` (the "sni-dnat" form of
// `outbound|PORT|SUBSET|HOST`), with no VirtualService in between. Clients in another network
// reach a service through such an east-west gateway by dialling it with that SNI.
import { destinationRuleFor } from '../model/destination-rules.ts';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { visibleServicePorts } from '../model/sidecar-scope.ts';
import type { MeshService, ServicePort } from '../model/service.ts';
import { outboundClusterName, sniDnatClusterName } from './envoy-json.ts';

/** One cluster a client may name by SNI. */
export interface SniDnatTarget {
  service: MeshService;
  port: ServicePort;
  /** `outbound_.PORT_.SUBSET_.HOST`: the SNI, and the gateway's cluster of that name. */
  name: string;
  /** `outbound|PORT|SUBSET|HOST`: the outbound cluster it copies. */
  outboundName: string;
}

/** Every service port the gateway sees, and each subset its DestinationRule defines, as Istio
 *  lists them for sni-dnat: services outside the mesh (MESH_EXTERNAL) are left out, since a
 *  client elsewhere reaches those directly. In port order, then host, then subset. */
export function sniDnatTargets(push: PushContext, proxy: Proxy): SniDnatTarget[] {
  return visibleServicePorts(push, proxy)
    .filter(({ service }) => service.serviceEntry?.location !== 'MESH_EXTERNAL')
    .flatMap(({ service, port }) => {
      const rule = destinationRuleFor(push, proxy.namespace, service.hostname, service.namespace);
      return ['', ...(rule?.spec.subsets ?? []).map((s) => s.name)].map((subset) => ({
        service,
        port,
        name: sniDnatClusterName(port.port, service.hostname, subset),
        outboundName: outboundClusterName(port.port, service.hostname, subset),
      }));
    });
}
