import type { Pod } from '@mizzen/config';
import { Annotation, Label } from './annotations.ts';
import type { KubeMeta, KubePodSpec } from './kube-shapes.ts';
import { checkStringMaps } from './string-maps.ts';

export interface InjectionDecision {
  inject: boolean;
  reason: string;
}

/** Namespaces Istio never injects, whatever their labels say. */
const IGNORED_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/**
 * Whether a pod gets a sidecar, by Istio's rules: the pod's own `sidecar.istio.io/inject`
 * (label, else annotation) can refuse; the namespace label `istio-injection` (enabled or
 * disabled) or `istio.io/rev`, else the pod's `istio.io/rev` label or an explicit
 * `sidecar.istio.io/inject: "true"`, asks for it. A pod on the host network, or already
 * injected, is left alone. `revision` is the control plane revision deciding ('default').
 * Throws InjectionError for labels or annotations that are not strings.
 */
export function injectionDecision(pod: Pod, namespaceLabels: Record<string, string>, revision = 'default'): InjectionDecision {
  const metadata = (pod.metadata ?? {}) as KubeMeta;
  const spec = (pod.spec ?? {}) as KubePodSpec;
  const labels = metadata.labels ?? {};
  const annotations = metadata.annotations ?? {};
  const namespace = metadata.namespace ?? 'default';
  checkStringMaps(metadata, `Pod ${namespace}/${metadata.name ?? metadata.generateName ?? '<no name>'}`, 'metadata');

  if (annotations[Annotation.status] !== undefined) return no(`already injected (annotation ${Annotation.status} is set)`);
  if (spec.hostNetwork === true) return no('the pod uses the host network (spec.hostNetwork)');
  if (IGNORED_NAMESPACES.has(namespace)) return no(`namespace ${namespace} is never injected`);

  const podChoice = podInjectChoice(labels, annotations);
  if (podChoice && !podChoice.inject) return no(`the pod's ${podChoice.source} ${Label.inject} is "${podChoice.value}"`);

  const namespaceInjection = namespaceLabels[Label.namespaceInjection];
  if (namespaceInjection === 'disabled') return no(`namespace ${namespace} has label ${Label.namespaceInjection}=disabled`);
  if (namespaceInjection === 'enabled') {
    return revision === 'default'
      ? yes(`namespace ${namespace} has label ${Label.namespaceInjection}=enabled`)
      : no(`namespace ${namespace} has label ${Label.namespaceInjection}=enabled, which selects the default revision, not "${revision}"`);
  }
  const namespaceRevision = namespaceLabels[Label.revision];
  if (namespaceRevision !== undefined) return byRevision(`namespace ${namespace} has label ${Label.revision}=${namespaceRevision}`, namespaceRevision, revision);
  const podRevision = labels[Label.revision];
  if (podRevision !== undefined) return byRevision(`the pod has label ${Label.revision}=${podRevision}`, podRevision, revision);
  if (podChoice?.inject) {
    return revision === 'default'
      ? yes(`the pod's ${podChoice.source} ${Label.inject} is "${podChoice.value}"`)
      : no(`the pod asks for the default revision, not "${revision}"`);
  }
  return no(
    `neither the pod nor namespace ${namespace} asks for a sidecar (namespace label ${Label.namespaceInjection}=enabled or ${Label.revision}, or pod label ${Label.inject}="true")`,
  );
}

interface PodChoice {
  inject: boolean;
  value: string;
  source: 'label' | 'annotation';
}

/** The label wins over the legacy annotation. As Istio, y/yes/true/on (any case) mean yes and
 *  any other value no. */
function podInjectChoice(labels: Record<string, string>, annotations: Record<string, string>): PodChoice | undefined {
  const fromLabel = labels[Label.inject];
  const source = fromLabel !== undefined ? 'label' : 'annotation';
  const value = fromLabel ?? annotations[Annotation.inject];
  if (value === undefined || value === '') return undefined;
  return { inject: ['y', 'yes', 'true', 'on'].includes(value.toLowerCase()), value, source };
}

function byRevision(why: string, asked: string, revision: string): InjectionDecision {
  return asked === revision ? yes(why) : no(`${why}, another revision than "${revision}"`);
}

function yes(reason: string): InjectionDecision {
  return { inject: true, reason };
}

function no(reason: string): InjectionDecision {
  return { inject: false, reason };
}
