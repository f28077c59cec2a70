/** How long istiod has to answer a debug request. */
const requestTimeoutMs = 10_000;

/** GETs a debug path of istiod's HTTP server as JSON; throws saying what failed: no answer, an
 *  error status (with istiod's own message), or a body that is not JSON. */
export async function fetchIstiodJson(address: string, path: string): Promise<unknown> {
  const url = `http://${address}${path}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(requestTimeoutMs) });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new Error(`istiod at ${address} does not answer ${path} (${cause})`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new Error(`istiod at ${address}: ${path} answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const message = typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : `status ${response.status}`;
    throw new Error(`istiod at ${address}: ${path}: ${message}`);
  }
  return body;
}
