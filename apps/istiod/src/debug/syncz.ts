import { TypeUrl } from '@mizzen/xds';
import type { Connection, DiscoveryServer, TypeSyncState } from '../xds/discovery-server.ts';

const shortNames: [string, string][] = [
  ['cluster', TypeUrl.Cluster],
  ['listener', TypeUrl.Listener],
  ['route', TypeUrl.RouteConfiguration],
  ['endpoint', TypeUrl.ClusterLoadAssignment],
];

/** Per connected proxy and type: the version sent and the version acknowledged (Istio's
 *  `*_sent` / `*_acked` fields, which proxy-status reads), plus the last rejection. */
export function syncz(discovery: DiscoveryServer): object[] {
  return [...discovery.connections.values()]
    .map((connection) => syncStatus(connection))
    .sort((a, b) => (a.proxy < b.proxy ? -1 : 1));
}

function syncStatus(connection: Connection): { proxy: string; [field: string]: unknown } {
  const status: { proxy: string; [field: string]: unknown } = {
    proxy: connection.proxy?.id ?? connection.streamId,
    stream: connection.streamId,
    peer: connection.peer,
    connected_at: connection.connectedAt,
    istio_version: connection.proxy?.istioVersion ?? '',
    interception_mode: connection.proxy?.interceptionMode,
  };
  if (connection.error) status.error = connection.error;
  for (const [name, typeUrl] of shortNames) {
    const state = connection.types.get(typeUrl);
    status[`${name}_sent`] = state?.sentVersion ?? '';
    status[`${name}_acked`] = state?.ackedVersion ?? '';
    status[`${name}_status`] = typeStatus(state);
    if (state?.nack) status[`${name}_nack`] = state.nack;
  }
  return status;
}

/** SYNCED when the proxy acknowledged what was sent, STALE while an answer is pending,
 *  NACKED when it rejected it, NOT SENT before the first response. */
function typeStatus(state: TypeSyncState | undefined): string {
  if (!state?.sentVersion) return 'NOT SENT';
  if (state.nack) return 'NACKED';
  return state.ackedVersion === state.sentVersion ? 'SYNCED' : 'STALE';
}
