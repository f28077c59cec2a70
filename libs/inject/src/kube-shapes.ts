// The parts of a pod spec the injector reads or writes beyond what @mizzen/config models.
// Everything else in a pod passes through untouched, so these types stay open.

export interface HttpGetAction {
  path?: string;
  port: number | string;
  host?: string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
}

export interface Probe {
  httpGet?: HttpGetAction;
  tcpSocket?: { port: number | string; host?: string };
  grpc?: { port: number; service?: string };
  exec?: { command?: string[] };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  [field: string]: unknown;
}

export interface KubeEnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string; apiVersion?: string }; [source: string]: unknown };
}

export interface KubeContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string; [field: string]: unknown }[];
  env?: KubeEnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  [field: string]: unknown;
}

export interface KubePodSpec {
  containers: KubeContainer[];
  initContainers?: KubeContainer[];
  volumes?: Record<string, unknown>[];
  serviceAccountName?: string;
  hostNetwork?: boolean;
  [field: string]: unknown;
}

export interface KubeMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind?: string; name?: string; apiVersion?: string }[];
  [field: string]: unknown;
}
