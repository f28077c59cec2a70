import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ConfigStore } from '@mizzen/config';
import { defaultInjectionSettings, settingsFromMeshConfig } from '@mizzen/inject';
import { splitHostPort } from '../host-port.ts';
import { createWebhookServer } from './webhook-server.ts';

/** Where Istio mounts istiod's serving certificate. */
export const DEFAULT_TLS_CERT_FILE = '/var/run/secrets/istiod/tls/tls.crt';
export const DEFAULT_TLS_KEY_FILE = '/var/run/secrets/istiod/tls/tls.key';

export interface WebhookFlags {
  webhookAddress: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Istio's MeshConfig (or the istio ConfigMap); its defaultConfig reaches injected pods. */
  meshConfig?: string;
}

export interface Webhooks {
  /** The bound port; undefined when the webhooks are off. */
  port?: number;
  close(): Promise<void>;
}

/**
 * Serves /inject and /validate over HTTPS. Off a cluster there is usually no certificate at
 * Istio's default paths: then, unless the files were named on purpose (`required`), istiod runs
 * without webhooks and says so.
 */
export async function startWebhooks(flags: WebhookFlags, store: ConfigStore, options: { required: boolean; log: (message: string) => void }): Promise<Webhooks> {
  const { log } = options;
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(flags.tlsCertFile), readFile(flags.tlsKeyFile)]);
  } catch (error) {
    const reason = `cannot read the webhook certificate (${(error as Error).message})`;
    if (options.required) throw new Error(reason, { cause: error });
    log(`istiod: serving no webhooks: ${reason}`);
    return { close: async () => {} };
  }
  const injection = flags.meshConfig ? settingsFromMeshConfig(await readFile(flags.meshConfig, 'utf8'), flags.meshConfig) : defaultInjectionSettings();
  const server = createWebhookServer({ cert, key, store, injection, log });
  const { host, port } = splitHostPort(flags.webhookAddress);
  const bound = await new Promise<number>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`cannot listen on ${flags.webhookAddress}: ${error.message}`)));
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
  log(`istiod: webhooks /inject and /validate on https://${flags.webhookAddress.replace(/:\d+$/, `:${bound}`)}`);
  const watchers = watchCertificate(flags, (pair) => server.setSecureContext(pair), log);
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const watcher of watchers) watcher.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Certificates rotate (cert-manager, Istio's own CA): when the files change, new connections
 *  get the new pair. A pair that cannot be read or does not load keeps the old one. */
function watchCertificate(flags: WebhookFlags, use: (pair: { cert: Buffer; key: Buffer }) => void, log: (message: string) => void): FSWatcher[] {
  // One read at a time; a change seen meanwhile (the key, then the certificate) reads again.
  let reading = false;
  let changedAgain = false;
  const reload = () => {
    if (reading) {
      changedAgain = true;
      return;
    }
    reading = true;
    void Promise.all([readFile(flags.tlsCertFile), readFile(flags.tlsKeyFile)])
      .then(([cert, key]) => {
        use({ cert, key });
        log('istiod: webhook certificate reloaded');
      })
      .catch((error: Error) => log(`istiod: webhook certificate not reloaded, keeping the old one: ${error.message}`))
      .finally(() => {
        reading = false;
        if (changedAgain) {
          changedAgain = false;
          reload();
        }
      });
  };
  // Watching the folders sees files replaced by rename, as Kubernetes updates a mounted secret.
  const folders = [...new Set([dirname(flags.tlsCertFile), dirname(flags.tlsKeyFile)])];
  return folders.map((folder) => watch(folder, reload).on('error', (error) => log(`istiod: cannot watch ${folder} for new certificates: ${error.message}`)));
}
