import type { ConfigStore, Pod } from '@mizzen/config';
import { injectionDecision, injectPod, type InjectionSettings } from '@mizzen/inject';
import { isObject, type AdmissionRequest, type AdmissionResponse } from './admission-review.ts';
import { jsonPatch } from './json-patch.ts';

/**
 * `/inject`: a Pod being created gets the sidecar, as a JSON Patch. A pod that is not to be
 * injected is allowed unchanged, with the reason; one that cannot be injected (a wrong
 * annotation) is refused with the reason, as Istio does, so that the mistake is seen.
 */
export function injectAdmission(request: AdmissionRequest, settings: InjectionSettings, store: ConfigStore): AdmissionResponse {
  const uid = request.uid;
  const object = request.object;
  if (request.kind?.kind !== undefined && request.kind.kind !== 'Pod') return allowed(uid, `not injected: only Pods are injected, got ${request.kind.kind}`);
  if (!isObject(object) || !isObject(object.metadata) || !isObject(object.spec)) {
    return { uid, allowed: false, status: { code: 400, message: 'request.object: must be a Pod with metadata and spec' } };
  }
  const namespace = request.namespace || (typeof object.metadata.namespace === 'string' ? object.metadata.namespace : 'default');
  // Pods are often created without a namespace in their metadata; the request carries it.
  const pod = { ...object, metadata: { ...object.metadata, namespace } } as unknown as Pod;
  const namespaceLabels = store.get('Namespace', '', namespace)?.metadata.labels ?? {};
  let injected: Pod;
  try {
    const decision = injectionDecision(pod, namespaceLabels, settings.revision ?? 'default');
    if (!decision.inject) return allowed(uid, `not injected: ${decision.reason}`);
    injected = injectPod(pod, settings);
  } catch (error) {
    return { uid, allowed: false, status: { code: 400, message: `injection failed: ${(error as Error).message}` } };
  }
  const patch = jsonPatch(pod, injected);
  return { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
}

function allowed(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: true, status: { message } };
}
