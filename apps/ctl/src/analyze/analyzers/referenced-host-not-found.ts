import { messageAbout, type AnalysisMessage, type LoadedObject } from '../analysis-message.ts';
import { fullHostName, hostMatches, knownHosts } from '../host-names.ts';
import { virtualServiceDestinations, virtualServices } from '../virtual-service-destinations.ts';

/** IST0101: a VirtualService routes to a host that no Service or ServiceEntry defines. */
export function referencedHostNotFound(objects: readonly LoadedObject[]): AnalysisMessage[] {
  const hosts = knownHosts(objects);
  return virtualServices(objects).flatMap(({ loaded, object, namespace }) => {
    const missing = new Set(
      virtualServiceDestinations(object)
        .map((d) => d.host)
        .filter((host) => !host.includes('*') && !hosts.some((known) => hostMatches(known, fullHostName(host, namespace)))),
    );
    return [...missing].map((host) => messageAbout(loaded, 'Error', 'IST0101', `Referenced host not found: ${JSON.stringify(host)}`));
  });
}
