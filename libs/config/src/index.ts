export * from './kubernetes-types.ts';
export { ConfigError } from './config-error.ts';
export { validateObject } from './validate.ts';
export { loadDocuments, type LoadResult } from './yaml-loader.ts';
export { MemoryConfigStore, type ConfigEvent, type ConfigListener, type ConfigStore } from './config-store.ts';
export { FolderSource, type FolderSourceOptions } from './folder-source.ts';
export type * from './virtual-service.ts';
export type * from './destination-rule.ts';
export { parseDuration } from './istio-schema.ts';
