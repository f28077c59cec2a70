// tcp_proxy's hash_policy: the consistent-hash key of a connection, for RING_HASH and MAGLEV
// clusters. Istio writes `source_ip` when a DestinationRule hashes by source IP, so each
// client keeps reaching the same endpoint.
import type { Socket } from 'node:net';
import { ConfigError } from '../../config-error.ts';
import { asObject, onlyFields, optionalArray, type JsonObject } from '../../config-reader.ts';
import { hashText } from '../../http/router/hash-key.ts';

/** The hash policies of a tcp_proxy: only `source_ip` (the client's address, port aside). */
export type TcpHashPolicy = 'source_ip';

export function compileTcpHashPolicy(obj: JsonObject, path: string): TcpHashPolicy[] {
  const policies = optionalArray(obj, 'hash_policy', path);
  // Envoy takes at most one (its validation rule).
  if (policies.length > 1) throw new ConfigError(`${path}.hash_policy`, 'at most one hash policy is allowed');
  return policies.map((p, i) => {
    const ppath = `${path}.hash_policy[${i}]`;
    const policy = asObject(p, ppath);
    onlyFields(policy, ppath, ['source_ip', 'filter_state']);
    if (policy.filter_state !== undefined) throw new ConfigError(`${ppath}.filter_state`, 'not supported by this proxy (source_ip is)');
    if (policy.source_ip === undefined) throw new ConfigError(ppath, 'source_ip is required');
    onlyFields(asObject(policy.source_ip, `${ppath}.source_ip`), `${ppath}.source_ip`, []);
    return 'source_ip';
  });
}

/** The connection's hash key under the policies, or undefined without one (the cluster then
 *  picks at random, as Envoy's ring hash does without a key). */
export function connectionHashKey(policies: readonly TcpHashPolicy[], socket: Socket): number | undefined {
  if (policies.length === 0) return undefined;
  const address = socket.remoteAddress;
  return address === undefined ? undefined : hashText(address);
}
