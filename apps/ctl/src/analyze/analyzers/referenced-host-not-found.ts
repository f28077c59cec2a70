import { messageAbout, type AnalysisMessage, type LoadedObject } from '../analysis-message.ts';
import { fullHostName, hostMatches, knownHosts } from '../host-names.ts';
import { virtualServiceDestinations, virtualServices } from '../virtual-service-destinations.ts';

/** IST0101: a VirtualService routes to a host that no Service or ServiceEntry defines. */
export function referencedHostNotFound(objects: readonly LoadedObject[]): AnalysisMessage[] {
  const hosts = knownHosts(objects);
  return virtualServices(objects).flatMap(({ loaded, object, namespace }) => {
    const reported = new Set<string>();
    return virtualServiceDestinations(object)
      .filter(({ destination: { host } }) => !host.includes('*') && !hosts.some((known) => hostMatches(known, fullHostName(host, namespace))))
      .filter(({ destination: { host } }) => !reported.has(host) && reported.add(host))
      .map(({ destination, path }) => messageAbout(loaded, 'Error', 'IST0101', `Referenced host not found: ${JSON.stringify(destination.host)}`, [...path, 'host']));
  });
}
