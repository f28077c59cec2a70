import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';

export interface ObjectList {
  metadata?: { resourceVersion?: string };
  items: Record<string, unknown>[];
}

/** An API answer other than 200, with its HTTP status (404: the kind is not served). */
export class KubeApiError extends Error {
  readonly statusCode: number;

  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
  }
}

const http = new IsomorphicFetchHttpLibrary();

/** GETs a collection as plain JSON, through the client's own authentication and TLS, so that
 *  listed objects have exactly the shape of watched ones (the typed API would turn dates into
 *  Date objects and drop fields it does not know). */
export async function listObjects(config: KubeConfig, path: string, signal?: AbortSignal): Promise<ObjectList> {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const request = new RequestContext(`${cluster.server}${path}`, HttpMethod.GET);
  request.setHeaderParam('Accept', 'application/json');
  if (signal) request.setSignal(signal);
  await config.applySecurityAuthentication(request);
  const response = await http.send(request).toPromise();
  const text = await response.body.text();
  if (response.httpStatusCode !== 200) throw new KubeApiError(response.httpStatusCode, `GET ${path}: ${response.httpStatusCode} ${statusMessage(text)}`);
  const body = JSON.parse(text) as unknown;
  if (typeof body !== 'object' || body === null || !Array.isArray((body as ObjectList).items)) throw new Error(`GET ${path}: the answer is not a list`);
  return body as ObjectList;
}

/** The message of a Kubernetes Status answer, or the start of whatever came back. */
function statusMessage(text: string): string {
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200);
}
