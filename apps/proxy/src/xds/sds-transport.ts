// SDS from a secret server of its own (Istio's agent on the sds-grpc socket): the ADS clients
// of @mizzen/xds on SecretDiscoveryService's methods. Loaded, with gRPC, only when a TLS
// context names such a source.
import { AdsClient, DeltaAdsClient, TypeUrl, type JsonObject } from '@mizzen/xds';
import type { Logger } from '@mizzen/filters';
import type { SecretStream } from '../tls/secret-store.ts';

const SDS_SERVICE = 'envoy.service.secret.v3.SecretDiscoveryService';
export const streamSecretsPath = `/${SDS_SERVICE}/StreamSecrets`;
export const deltaSecretsPath = `/${SDS_SERVICE}/DeltaSecrets`;

/** Opens the stream (state of the world, or delta) to `target`; each response's secrets go to
 *  `apply`, which throws to NACK them. */
export function openSecretStream(
  target: string,
  node: JsonObject,
  log: Logger,
  delta: boolean,
  apply: (resources: JsonObject[], version: string) => Promise<void>,
): SecretStream {
  const onError = (err: Error): void => log.warn(`sds: ${err.message}`);
  const onResources = (typeUrl: string, resources: JsonObject[], version: string): Promise<void> => {
    if (typeUrl !== TypeUrl.Secret) throw new Error(`a secret server sent ${typeUrl}, not ${TypeUrl.Secret}`);
    return apply(resources, version);
  };
  const client = delta
    ? new DeltaAdsClient({ target, node, onResources, onError, methodPath: deltaSecretsPath })
    : new AdsClient({ target, node, onResources, onError, methodPath: streamSecretsPath });
  return {
    subscribe: (names) => client.subscribe(TypeUrl.Secret, names),
    close: () => client.close(),
  };
}
