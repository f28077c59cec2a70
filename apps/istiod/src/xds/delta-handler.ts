// Delta (incremental) xDS in front of the discovery server: a delta stream subscribes by names
// like a state-of-the-world one, and DeltaAdsServer.pushDesired turns each type's full set into
// the resources that changed and the names removed.
import type { DeltaAdsServerHandler } from '@mizzen/xds';
import type { DiscoveryServer } from './discovery-server.ts';

export function deltaHandler(discovery: DiscoveryServer): DeltaAdsServerHandler {
  return {
    onStreamOpen(stream) {
      discovery.onStreamOpen(stream);
      const connection = discovery.connections.get(stream.id);
      if (connection) connection.delta = true;
    },
    // A wildcard subscription asks for every resource: CDS and LDS build them all regardless of
    // names, as for a state-of-the-world stream.
    onSubscribe: (streamId, typeUrl, subscription) => discovery.onSubscribe(streamId, typeUrl, subscription.resourceNames),
    onAck: (streamId, typeUrl, version, nonce) => discovery.onAck(streamId, typeUrl, version, nonce),
    onNack: (streamId, typeUrl, version, nonce, error) => discovery.onNack(streamId, typeUrl, version, nonce, error),
    onStreamClose: (streamId) => discovery.onStreamClose(streamId),
  };
}
