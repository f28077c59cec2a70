// What a burst of config changes asks of the next push, as Istio's PushRequest: everything
// (a full push), or only the endpoints of some services (an EDS push) plus the config of the
// proxies whose own pod changed.
import type { ConfigEvent, KubeObject, Pod } from '@mizzen/config';
import { servicesIn, type PushContext } from './push-context.ts';
import { selectorMatches, type MeshService } from './service.ts';

export interface PushRequest {
  /** Anything may have changed: rebuild the push context and every type for every proxy. */
  full: boolean;
  /** Hostnames whose endpoints changed (what an EDS push rebuilds and sends). */
  edsHosts: ReadonlySet<string>;
  /** Pods ("namespace/name") that changed: their own proxies get everything rebuilt, since a
   *  pod's labels and ports shape its inbound config, its Sidecar and its routes. */
  pods: ReadonlySet<string>;
}

export const fullPush: PushRequest = { full: true, edsHosts: new Set(), pods: new Set() };

/** Kinds that only say where a service's endpoints are. The registry reads endpoints from the
 *  pods each selector matches; Endpoints and EndpointSlices name their service. */
const endpointKinds = new Set(['Pod', 'Endpoints', 'EndpointSlice']);

/** What one config event needs pushed, judged against the push context it changes. */
export function classifyChange(event: ConfigEvent, push: PushContext): PushRequest {
  const { object } = event;
  if (!endpointKinds.has(object.kind)) return fullPush;
  const namespace = object.metadata.namespace ?? 'default';
  if (object.kind !== 'Pod') {
    const service = serviceNamed(push, namespace, endpointsServiceName(object));
    return endpointsOf(service ? [service] : [], new Set());
  }
  const before = event.type === 'update' ? (event.previous as Pod) : undefined;
  const labelSets = [(object as Pod).metadata.labels, before?.metadata.labels];
  const selecting = servicesIn(push, namespace).filter((service) => labelSets.some((labels) => selectorMatches(service.selector, labels)));
  return endpointsOf(selecting, new Set([`${namespace}/${object.metadata.name}`]));
}

/** An EDS push for these services, unless one's endpoints show elsewhere than in EDS: a
 *  headless service's pod IPs are in the name table, and DNS and NONE resolutions build their
 *  clusters from them. Those take a full push. */
function endpointsOf(services: MeshService[], pods: Set<string>): PushRequest {
  if (services.some((s) => !s.clusterIP || (s.resolution ?? 'EDS') !== 'EDS')) return fullPush;
  return { full: false, edsHosts: new Set(services.map((s) => s.hostname)), pods };
}

function serviceNamed(push: PushContext, namespace: string, name: string | undefined): MeshService | undefined {
  return servicesIn(push, namespace).find((s) => !s.serviceEntry && s.name === name);
}

/** An Endpoints object is named after its service; an EndpointSlice names it in a label. */
function endpointsServiceName(object: KubeObject): string | undefined {
  return object.kind === 'EndpointSlice' ? object.metadata.labels?.['kubernetes.io/service-name'] : object.metadata.name;
}

/** One request that does what both do. */
export function mergePushRequests(a: PushRequest | undefined, b: PushRequest): PushRequest {
  if (!a) return b;
  if (a.full || b.full) return fullPush;
  return { full: false, edsHosts: new Set([...a.edsHosts, ...b.edsHosts]), pods: new Set([...a.pods, ...b.pods]) };
}
