// The gRPC side of istiod's discovery: one AdsServer serving both ADS variants on one port,
// each stream's pushes sent the way it speaks.
import { AdsServer, DeltaAdsServer } from '@mizzen/xds';
import { deltaHandler } from './delta-handler.ts';
import type { DiscoveryServer } from './discovery-server.ts';

export function createAdsTransport(discovery: DiscoveryServer): AdsServer {
  const delta = new DeltaAdsServer(deltaHandler(discovery));
  const ads = new AdsServer(discovery, { delta });
  discovery.setPusher((streamId, typeUrl, resources, version) =>
    discovery.connections.get(streamId)?.delta ? delta.pushDesired(streamId, typeUrl, resources, version) : ads.push(streamId, typeUrl, resources, version),
  );
  return ads;
}
