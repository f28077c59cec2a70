import { validateObject } from '@mizzen/config';
import { isObject, type AdmissionRequest, type AdmissionResponse } from './admission-review.ts';

/**
 * `/validate`: a resource being created or updated is checked as istiod checks what it reads,
 * and refused with the resource, the field path and the reason, so that a mistake never
 * reaches istiod. Deletions carry no object and are always allowed.
 */
export function validateAdmission(request: AdmissionRequest): AdmissionResponse {
  const uid = request.uid;
  const object = request.object;
  if (object === undefined || object === null) return { uid, allowed: true };
  const withNamespace =
    isObject(object) && isObject(object.metadata) && object.metadata.namespace === undefined && request.namespace
      ? { ...object, metadata: { ...object.metadata, namespace: request.namespace } }
      : object;
  try {
    validateObject(withNamespace);
    return { uid, allowed: true };
  } catch (error) {
    return { uid, allowed: false, status: { code: 400, message: `configuration is invalid: ${(error as Error).message}` } };
  }
}
