// The ADS transport over gRPC, in a module of its own: only the main thread of a proxy whose
// bootstrap names an ADS server loads it, and with it gRPC (about 18 MB of resident memory).
import { AdsClient, DeltaAdsClient, type JsonObject } from '@mizzen/xds';
import type { Logger } from '@mizzen/filters';
import type { TransportFactory } from './dynamic-config.ts';

/** Connects to the ADS server named in the bootstrap with @mizzen/xds's client: state of the
 *  world, or delta (incremental) xDS for api_type DELTA_GRPC. Either way each update arrives
 *  as the full current set of its type. */
export function grpcTransport(target: string, node: JsonObject, log: Logger, delta = false): TransportFactory {
  const onError = (err: Error): void => log.warn(`xds: ${err.message}`);
  return (onResources) => (delta ? new DeltaAdsClient({ target, node, onResources, onError }) : new AdsClient({ target, node, onResources, onError }));
}
