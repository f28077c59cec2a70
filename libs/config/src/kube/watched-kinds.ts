// The kinds istiod reads from the Kubernetes API, and where the API serves each collection.

export interface WatchedKind {
  kind: string;
  /** "v1", "apps/v1", "networking.istio.io/v1" */
  apiVersion: string;
  /** The lowercase plural the API uses in paths: "services", "virtualservices". */
  plural: string;
  /** A custom resource may be missing from a cluster; that is reported, not fatal. */
  custom: boolean;
}

const core = (kind: string, plural: string): WatchedKind => ({ kind, apiVersion: 'v1', plural, custom: false });
const istio = (group: string, kind: string): WatchedKind => ({ kind, apiVersion: `${group}/v1`, plural: `${kind.toLowerCase()}s`, custom: true });

export const watchedKinds: readonly WatchedKind[] = [
  core('Namespace', 'namespaces'),
  core('Service', 'services'),
  core('Endpoints', 'endpoints'),
  core('Pod', 'pods'),
  core('ServiceAccount', 'serviceaccounts'),
  { kind: 'Deployment', apiVersion: 'apps/v1', plural: 'deployments', custom: false },
  ...['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar', 'WorkloadEntry'].map((kind) => istio('networking.istio.io', kind)),
  ...['PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication'].map((kind) => istio('security.istio.io', kind)),
];

/** The collection across all namespaces: "/api/v1/pods", "/apis/networking.istio.io/v1/gateways". */
export function collectionPath(kind: WatchedKind): string {
  return kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}/${kind.plural}` : `/api/${kind.apiVersion}/${kind.plural}`;
}

/** "VirtualService (networking.istio.io/v1)": how reports name a kind. */
export function describeKind(kind: WatchedKind): string {
  return `${kind.kind} (${kind.apiVersion})`;
}
