export { defaultInjectionSettings, MIZZEN_VERSION, type InjectionSettings, type InterceptionMode } from './injection-settings.ts';
export { injectionDecision, type InjectionDecision } from './injection-decision.ts';
export { injectPod, injectWorkload } from './inject-pod.ts';
export { InjectionError } from './injection-error.ts';
export { Annotation, Label } from './annotations.ts';
export { INIT_CONTAINER_NAME } from './init-container.ts';
export { PROXY_CONTAINER_NAME } from './proxy-container.ts';
export { settingsFromMeshConfig } from './mesh-config.ts';
export { settingsFromInjectionValues } from './injection-values.ts';
