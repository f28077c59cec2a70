// The gRPC side of istiod's discovery: one AdsServer serving both ADS variants on one port,
// each stream's pushes sent the way it speaks.
import { AdsServer, DeltaAdsServer } from '@mizzen/xds';
import { deltaHandler } from './delta-handler.ts';
import type { DiscoveryServer } from './discovery-server.ts';

export function createAdsTransport(discovery: DiscoveryServer): AdsServer {
  const delta = new DeltaAdsServer(deltaHandler(discovery));
  const ads = new AdsServer(discovery, { delta });
  const isDelta = (streamId: string) => discovery.connections.get(streamId)?.delta === true;
  // A partial push (only what changed) is all a state-of-the-world EDS response needs; a delta
  // stream must not read it as the full set, which would remove the rest.
  discovery.setPusher((streamId, typeUrl, resources, version, partial) => {
    if (!isDelta(streamId)) return ads.push(streamId, typeUrl, resources, version);
    return partial ? delta.pushChanges(streamId, typeUrl, { resources }, version) : delta.pushDesired(streamId, typeUrl, resources, version);
  });
  discovery.setFlowControl({
    isBackedUp: (streamId) => (isDelta(streamId) ? delta.isBackedUp(streamId) : ads.isBackedUp(streamId)),
    onceCaughtUp: (streamId, callback) => (isDelta(streamId) ? delta.onceCaughtUp(streamId, callback) : ads.onceCaughtUp(streamId, callback)),
  });
  return ads;
}
