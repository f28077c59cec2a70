import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext } from '@kubernetes/client-node';
import type { Cluster } from './kube-connection.ts';

const http = new IsomorphicFetchHttpLibrary();

/** How long the API server has to answer (the proxy subresource's wait on istiod included). */
const requestTimeoutMs = 15_000;

/** An API server answer other than 2xx, with its status (404: no such object). */
export class KubeStatusError extends Error {
  readonly statusCode: number;

  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'KubeStatusError';
    this.statusCode = statusCode;
  }
}

/** GETs a path of the API server as JSON, with the kubeconfig's authentication and TLS.
 *  Errors name the context, the path and the API server's own message. */
export async function kubeGet(cluster: Cluster, path: string): Promise<unknown> {
  const server = cluster.config.getCurrentCluster()?.server ?? '';
  const request = new RequestContext(`${server}${path}`, HttpMethod.GET);
  request.setHeaderParam('Accept', 'application/json');
  request.setSignal(AbortSignal.timeout(requestTimeoutMs));
  let status: number;
  let text: string;
  try {
    await cluster.config.applySecurityAuthentication(request);
    const response = await http.send(request).toPromise();
    status = response.httpStatusCode;
    text = await response.body.text();
  } catch (error) {
    const why = (error as Error).name === 'TimeoutError' ? `no answer in ${requestTimeoutMs / 1000}s` : (error as Error).message;
    throw new Error(`cluster ${cluster.context}: the API server ${server} does not answer GET ${path} (${why})`);
  }
  if (status < 200 || status > 299) throw new KubeStatusError(status, `cluster ${cluster.context}: GET ${path}: ${status} ${statusMessage(text)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`cluster ${cluster.context}: GET ${path}: the answer is not JSON (${text.slice(0, 80)})`);
  }
}

/** The message of a Kubernetes Status (or of istiod's error), or the start of whatever came back. */
function statusMessage(text: string): string {
  try {
    const status = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof status.message === 'string') return status.message;
    // istiod's debug endpoints, reached through the proxy subresource, say it so.
    if (typeof status.error === 'string') return status.error;
  } catch {
    // not JSON: the raw text says more than nothing
  }
  return text.slice(0, 200).trim();
}
