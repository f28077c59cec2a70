import { request } from 'node:http';

/** A service this app calls. */
export interface Upstream {
  /** Its base URL as the mesh names it, e.g. `http://ratings:9080`. */
  url: URL;
  /** Where to connect instead of the URL's host (the URL's host:port stays the Host header). */
  dialAddress?: string;
}

export interface UpstreamReply {
  status: number;
  body: unknown;
}

/**
 * GETs `path` from the upstream and parses the JSON answer. Rejects, naming the URL, when the
 * connection fails or no complete answer comes within `timeoutMs`; any status resolves.
 */
export function getJson(upstream: Upstream, path: string, headers: Record<string, string>, timeoutMs: number): Promise<UpstreamReply> {
  const target = new URL(path, upstream.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: upstream.dialAddress ?? target.hostname,
        port: target.port || 80,
        path: target.pathname + target.search,
        headers: { ...headers, host: target.host, accept: 'application/json' },
      },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        incoming.on('error', fail).on('end', () => {
          clearTimeout(timer);
          resolve({ status: incoming.statusCode ?? 0, body: parseJson(text) });
        });
      },
    );
    const timer = setTimeout(() => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(new Error(`GET ${target.href}: ${error.message}`));
    }
    outgoing.on('error', fail).end();
  });
}

/** A proxy's own error page is text, not JSON: keep it as text. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
