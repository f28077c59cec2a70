import type { Gateway } from '@mizzen/config';
import { messageAbout, namespaceOf, ofKind, type AnalysisMessage, type LoadedObject } from '../analysis-message.ts';
import { virtualServices } from '../virtual-service-destinations.ts';
import { gatewayKey } from './virtual-service-gateways.ts';

/** MZN0002: a Gateway that no VirtualService binds to, so it accepts connections it has no
 *  route for. Istio has no code for this check. */
export function unboundGateway(objects: readonly LoadedObject[]): AnalysisMessage[] {
  const bound = new Set(virtualServices(objects).flatMap(({ object, namespace }) => (object.spec.gateways ?? []).map((g) => gatewayKey(g, namespace))));
  return ofKind<Gateway>(objects, 'Gateway')
    .filter(({ object }) => !bound.has(`${namespaceOf(object)}/${object.metadata.name}`))
    .map(({ loaded }) => messageAbout(loaded, 'Warning', 'MZN0002', 'No VirtualService is bound to this Gateway'));
}
