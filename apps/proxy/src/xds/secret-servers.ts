// The secret servers a bootstrap's static clusters reach, for SDS configs that name one
// (api_config_source) rather than ADS. gRPC is loaded on the first stream opened, not before.
import type { JsonObject, Logger } from '@mizzen/filters';
import { sdsClusterTargets } from '../tls/sds-source.ts';
import type { SecretServers, SecretStream } from '../tls/secret-store.ts';

export function secretServers(bootstrap: JsonObject, node: JsonObject, log: Logger, onApplied: () => Promise<void>): SecretServers {
  return {
    targets: sdsClusterTargets(bootstrap),
    log,
    onApplied,
    open: (source, target, apply) => {
      let stream: SecretStream | undefined;
      let names: string[] | undefined;
      let closed = false;
      import('./sds-transport.ts').then(({ openSecretStream }) => {
        if (closed) return;
        stream = openSecretStream(target, node, log, source.delta, apply);
        if (names) stream.subscribe(names);
      }, (err: unknown) => log.error(`sds: cannot load the gRPC client: ${(err as Error).message}`));
      return {
        subscribe: (next) => {
          names = next;
          stream?.subscribe(next);
        },
        close: () => {
          closed = true;
          stream?.close();
        },
      };
    },
  };
}
