import type { JsonObject } from '@mizzen/xds';

/** Whether an xDS node is a proxyless gRPC client rather than a sidecar. Istio's gRPC
 *  bootstrap marks it so, in the node metadata: `GENERATOR: grpc`. */
export function isProxylessGrpc(node: JsonObject): boolean {
  const metadata = node.metadata;
  return typeof metadata === 'object' && metadata !== null && (metadata as Record<string, unknown>).GENERATOR === 'grpc';
}
