import { get } from 'node:http';

/** How long istiod has to answer a debug request. */
const requestTimeoutMs = 10_000;

/** GETs a debug path of istiod's HTTP server as JSON; throws saying what failed: no answer, an
 *  error status (with istiod's own message), or a body that is not JSON. (node:http rather than
 *  fetch, which refuses some ports outright.) */
export async function fetchIstiodJson(address: string, path: string): Promise<unknown> {
  const { status, text } = await httpGet(`http://${address}${path}`).catch((error: unknown) => {
    throw new Error(`istiod at ${address} does not answer ${path} (${(error as Error).message})`);
  });
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new Error(`istiod at ${address}: ${path} answered ${status} with a body that is not JSON`);
  }
  if (status < 200 || status > 299) {
    const message = typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : `status ${status}`;
    throw new Error(`istiod at ${address}: ${path}: ${message}`);
  }
  return body;
}

function httpGet(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: requestTimeoutMs }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer in ${requestTimeoutMs / 1000}s`)));
    request.on('error', reject);
  });
}
