import type { ConfigError, ConfigStore } from '@mizzen/config';

/** Every config object istiod holds, and the documents it had to leave out and why. */
export function configz(store: ConfigStore, errors: () => ConfigError[]): object {
  return {
    resources: store.listAll(),
    errors: errors().map((e) => ({ file: e.file, document: e.documentIndex, resource: e.resource, field: e.field, reason: e.reason, message: e.message })),
  };
}
