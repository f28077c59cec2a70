// The slice of the Kubernetes API that Mizzen reads, in the API's own shape (camelCase field
// names, the same nesting), so that a manifest written for a cluster loads unchanged.

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
}

/** Any object with apiVersion, kind and metadata. Kinds Mizzen does not model yet (Istio's
 *  CRDs, ConfigMaps, ...) are kept in this form. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type PortProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePort {
  name?: string;
  port: number;
  /** A number, or the name of a container port on the selected pods. */
  targetPort?: number | string;
  protocol?: PortProtocol;
  appProtocol?: string;
  nodePort?: number;
}

export interface ServiceSpec {
  ports?: ServicePort[];
  selector?: Labels;
  /** An IP, or "None" for a headless service. */
  clusterIP?: string;
  clusterIPs?: string[];
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  externalName?: string;
}

export interface Service extends KubeObject {
  apiVersion: 'v1';
  kind: 'Service';
  spec: ServiceSpec;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: PortProtocol;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: ContainerPort[];
  env?: EnvVar[];
}

export interface EnvVar {
  name: string;
  value?: string;
  /** The downward API: one of the pod's own fields, such as status.podIP. */
  valueFrom?: { fieldRef?: { fieldPath: string; apiVersion?: string } };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
}

export interface PodStatus {
  podIP?: string;
  podIPs?: { ip: string }[];
  phase?: string;
}

export interface Pod extends KubeObject {
  apiVersion: 'v1';
  kind: 'Pod';
  spec: PodSpec;
  status?: PodStatus;
}

export interface LabelSelector {
  matchLabels?: Labels;
}

export interface DeploymentSpec {
  replicas?: number;
  selector: LabelSelector;
  template: { metadata?: Partial<ObjectMeta>; spec: PodSpec };
}

export interface Deployment extends KubeObject {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  spec: DeploymentSpec;
}

export interface ServiceAccount extends KubeObject {
  apiVersion: 'v1';
  kind: 'ServiceAccount';
}

export interface Namespace extends KubeObject {
  apiVersion: 'v1';
  kind: 'Namespace';
}

/** The kinds validated field by field, by kind name. */
export interface KnownKinds {
  Service: Service;
  Pod: Pod;
  Deployment: Deployment;
  ServiceAccount: ServiceAccount;
  Namespace: Namespace;
}

export type KnownKind = keyof KnownKinds;

/** Kinds that live outside any namespace. */
export const clusterScopedKinds: ReadonlySet<string> = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

/** "Service default/reviews", "Namespace bookinfo": how errors and logs name an object. */
export function describeObject(object: { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }): string {
  const kind = typeof object.kind === 'string' ? object.kind : '<no kind>';
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : '<no name>';
  if (clusterScopedKinds.has(kind)) return `${kind} ${name}`;
  const namespace = typeof object.metadata?.namespace === 'string' ? object.metadata.namespace : 'default';
  return `${kind} ${namespace}/${name}`;
}

/** The store key of an object: kind, namespace (empty for cluster-scoped kinds) and name. */
export function objectKey(object: KubeObject): string {
  return `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}
