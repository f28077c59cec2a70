import type { ConfigError, ConfigStore } from '@mizzen/config';

/** Every config object istiod holds, and the documents it had to leave out and why. Secrets
 *  are listed without their data: a debug page must not hand out private keys. */
export function configz(store: ConfigStore, errors: () => ConfigError[]): object {
  return {
    resources: store.listAll().map((o) => (o.kind === 'Secret' ? { ...o, data: undefined, stringData: undefined } : o)),
    errors: errors().map((e) => ({ file: e.file, document: e.documentIndex, resource: e.resource, field: e.field, reason: e.reason, message: e.message })),
  };
}
