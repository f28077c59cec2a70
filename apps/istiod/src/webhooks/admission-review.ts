// Kubernetes' AdmissionReview (admission.k8s.io/v1, and v1beta1 which has the same shape):
// what the API server sends a webhook and what it expects back.

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  namespace?: string;
  name?: string;
  operation?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  /** metav1.Status: why a request is denied, or a note on one allowed. */
  status?: { code?: number; message: string };
  patchType?: 'JSONPatch';
  /** The JSON Patch, base64. */
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

const API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'];

export class AdmissionReviewError extends Error {}

/** Checks a parsed body is an AdmissionReview with a request; throws naming what is wrong. */
export function readAdmissionReview(body: unknown): { apiVersion: string; request: AdmissionRequest } {
  if (!isObject(body)) throw new AdmissionReviewError('the body must be a JSON AdmissionReview object');
  if (body.kind !== 'AdmissionReview') throw new AdmissionReviewError(`kind: must be AdmissionReview, got ${JSON.stringify(body.kind)}`);
  if (typeof body.apiVersion !== 'string' || !API_VERSIONS.includes(body.apiVersion)) {
    throw new AdmissionReviewError(`apiVersion: must be one of ${API_VERSIONS.join(', ')}, got ${JSON.stringify(body.apiVersion)}`);
  }
  const request = body.request;
  if (!isObject(request)) throw new AdmissionReviewError('request: required object is missing');
  if (typeof request.uid !== 'string' || request.uid === '') throw new AdmissionReviewError('request.uid: required string is missing');
  if (request.namespace !== undefined && typeof request.namespace !== 'string') throw new AdmissionReviewError('request.namespace: must be a string');
  return { apiVersion: body.apiVersion, request: request as unknown as AdmissionRequest };
}

/** The review sent back: the same apiVersion as the request, as the API server expects. */
export function admissionReview(apiVersion: string, response: AdmissionResponse): AdmissionReview {
  return { apiVersion, kind: 'AdmissionReview', response };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
