import { TypeUrl } from '@mizzen/xds';
import type { Generator } from '../xds/generator.ts';
import { buildGrpcClusters } from './grpc-cluster.ts';
import { buildGrpcEndpoints } from './grpc-endpoint.ts';
import { buildGrpcListeners } from './grpc-listener.ts';
import { buildGrpcRoutes } from './grpc-route.ts';

/** What a proxyless gRPC client gets, in place of a sidecar's generators: for every type, only
 *  the resources it names (gRPC asks by name for listeners and clusters too). */
export const grpcGenerators: readonly Generator[] = [
  { shortName: 'CDS', typeUrl: TypeUrl.Cluster, generate: buildGrpcClusters },
  { shortName: 'EDS', typeUrl: TypeUrl.ClusterLoadAssignment, generate: buildGrpcEndpoints },
  { shortName: 'LDS', typeUrl: TypeUrl.Listener, generate: buildGrpcListeners },
  { shortName: 'RDS', typeUrl: TypeUrl.RouteConfiguration, generate: buildGrpcRoutes },
];
