import type { Deployment, DestinationRule, Labels, Pod, Service } from '@mizzen/config';
import { messageAbout, namespaceOf, ofKind, type AnalysisMessage, type LoadedObject } from '../analysis-message.ts';
import { fullHostName } from '../host-names.ts';

function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The labels of every workload: each Pod, and each Deployment's pod template. */
function workloadLabels(objects: readonly LoadedObject[]): { namespace: string; labels: Labels }[] {
  return [
    ...ofKind<Pod>(objects, 'Pod').map(({ object }) => ({ namespace: namespaceOf(object), labels: object.metadata.labels ?? {} })),
    ...ofKind<Deployment>(objects, 'Deployment').map(({ object }) => ({ namespace: namespaceOf(object), labels: object.spec.template.metadata?.labels ?? {} })),
  ];
}

/** MZN0001: a DestinationRule subset of a Service whose labels select none of the Service's
 *  workloads, so traffic routed to it finds no endpoint. Istio has no code for this offline
 *  check. Only Services loaded with the DestinationRule are checked: without the Service, the
 *  workloads it selects are unknown. */
export function unusedSubset(objects: readonly LoadedObject[]): AnalysisMessage[] {
  const services = new Map(ofKind<Service>(objects, 'Service').map(({ object }) => [`${object.metadata.name}.${namespaceOf(object)}.svc.cluster.local`, object]));
  const workloads = workloadLabels(objects);
  return ofKind<DestinationRule>(objects, 'DestinationRule').flatMap(({ loaded, object }) => {
    const host = fullHostName(object.spec.host, namespaceOf(object));
    const service = services.get(host);
    if (service?.spec.selector === undefined) return [];
    const serviceNamespace = namespaceOf(service);
    const selector = service.spec.selector;
    const candidates = workloads.filter((w) => w.namespace === serviceNamespace && selects(selector, w.labels));
    return (object.spec.subsets ?? []).flatMap((subset, i) =>
      candidates.some((w) => selects(subset.labels ?? {}, w.labels))
        ? []
        : [messageAbout(loaded, 'Warning', 'MZN0001', `Subset ${JSON.stringify(subset.name)} of host ${JSON.stringify(object.spec.host)} selects no pod of Service ${serviceNamespace}/${service.metadata.name}`, ['spec', 'subsets', i, 'name'])],
    );
  });
}
