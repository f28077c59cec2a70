import packageJson from '../package.json' with { type: 'json' };

export type InterceptionMode = 'REDIRECT' | 'TPROXY' | 'NONE';

/** What the mesh decides for every injected pod (Istio's injection values and the mesh
 *  config's defaultConfig); a pod's annotations may override some of it. */
export interface InjectionSettings {
  /** istiod's xDS address as the agent dials it, e.g. 'istiod.istio-system.svc:15012'. */
  discoveryAddress: string;
  proxyImage: string;
  /** NONE: no capture, so no init container. */
  interceptionMode: InterceptionMode;
  /** ISTIO_META_DNS_CAPTURE=true and --redirect-dns. */
  dnsCapture: boolean;
  holdApplicationUntilProxyStarts: boolean;
  /** Extra environment for the agent, ISTIO_META_* among them (meshConfig defaultConfig). */
  proxyMetadata: Record<string, string>;
  clusterId: string;
  trustDomain: string;
  /** The control plane revision this injector serves; 'default' when absent. */
  revision?: string;
}

export const MIZZEN_VERSION: string = packageJson.version;

export function defaultInjectionSettings(): InjectionSettings {
  return {
    discoveryAddress: 'istiod.istio-system.svc:15012',
    proxyImage: `mizzen/proxyv2:${MIZZEN_VERSION}`,
    interceptionMode: 'REDIRECT',
    dnsCapture: false,
    holdApplicationUntilProxyStarts: false,
    proxyMetadata: {},
    clusterId: 'Kubernetes',
    trustDomain: 'cluster.local',
  };
}

export const interceptionModes: readonly InterceptionMode[] = ['REDIRECT', 'TPROXY', 'NONE'];
