import type { DestinationRule } from '@mizzen/config';
import { messageAbout, namespaceOf, ofKind, type AnalysisMessage, type LoadedObject } from '../analysis-message.ts';
import { fullHostName } from '../host-names.ts';
import { virtualServiceDestinations, virtualServices } from '../virtual-service-destinations.ts';

/** IST0101: a VirtualService routes to a subset that no DestinationRule for its host defines. */
export function referencedSubsetNotFound(objects: readonly LoadedObject[]): AnalysisMessage[] {
  const subsetsByHost = new Map<string, Set<string>>();
  for (const { object } of ofKind<DestinationRule>(objects, 'DestinationRule')) {
    const host = fullHostName(object.spec.host, namespaceOf(object));
    const names = subsetsByHost.get(host) ?? new Set<string>();
    for (const subset of object.spec.subsets ?? []) names.add(subset.name);
    subsetsByHost.set(host, names);
  }
  return virtualServices(objects).flatMap(({ loaded, object, namespace }) => {
    const reported = new Set<string>();
    return virtualServiceDestinations(object)
      .filter(({ destination: d }) => d.subset !== undefined && !subsetsByHost.get(fullHostName(d.host, namespace))?.has(d.subset))
      .map(({ destination: d, path }) => ({ ref: `${d.host}+${d.subset}`, path }))
      .filter(({ ref }) => !reported.has(ref) && reported.add(ref))
      .map(({ ref, path }) => messageAbout(loaded, 'Error', 'IST0101', `Referenced host+subset in destinationrule not found: ${JSON.stringify(ref)}`, [...path, 'subset']));
  });
}
