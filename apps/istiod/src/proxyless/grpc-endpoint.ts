import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { buildEndpoints } from '../networking/endpoint-builder.ts';
import type { JsonObject } from '../networking/envoy-json.ts';

/** The load assignments a gRPC client asked for: the sidecars' EDS, with what gRPC requires
 *  on top. gRPC balances across localities by their weight and refuses a group without a
 *  locality, while the mesh has no zones yet: every endpoint sits in one unnamed locality of
 *  weight 1. */
export function buildGrpcEndpoints(push: PushContext, proxy: Proxy, names: string[]): JsonObject[] {
  return buildEndpoints(push, names.length > 0 ? names : undefined, proxy).map((assignment) => {
    const groups = assignment.endpoints as JsonObject[] | undefined;
    if (!groups) return assignment;
    return { ...assignment, endpoints: groups.map((group) => ({ locality: {}, ...group, load_balancing_weight: 1 })) };
  });
}
