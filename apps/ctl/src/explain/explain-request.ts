import { isIP } from 'node:net';

/** The request to explain, as the proxy would see it. */
export interface ExplainRequest {
  method: string;
  scheme: string;
  /** The host as written in the URL (a name or an address). */
  host: string;
  port: number;
  /** `:path`, with the query string. */
  path: string;
  /** Lower-case names; `:authority`, `:method`, `:path` and `:scheme` included, as Envoy matches them. */
  headers: Record<string, string>;
}

/** `http://reviews:9080/path?q` and `-H name:value`s to a request; throws naming what is wrong. */
export function explainRequest(url: string, headerFlags: string[], method = 'GET'): ExplainRequest {
  let parsed: URL;
  try {
    parsed = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    throw new Error(`URL ${JSON.stringify(url)}: not a URL (expected e.g. http://reviews:9080/path)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`URL ${url}: scheme must be http or https, got ${parsed.protocol.slice(0, -1)}`);
  const scheme = parsed.protocol.slice(0, -1);
  const port = parsed.port ? Number(parsed.port) : scheme === 'https' ? 443 : 80;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const headers: Record<string, string> = {};
  for (const flag of headerFlags) {
    const colon = flag.indexOf(':', 1);
    if (colon < 0) throw new Error(`header ${JSON.stringify(flag)}: expected NAME:VALUE`);
    const name = flag.slice(0, colon).trim().toLowerCase();
    if (!/^:?[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new Error(`header ${JSON.stringify(flag)}: ${JSON.stringify(name)} is not a header name`);
    headers[name] = flag.slice(colon + 1).trim();
  }
  const authority = headers.host ?? headers[':authority'] ?? (parsed.port ? `${isIP(host) === 6 ? `[${host}]` : host}:${port}` : host);
  delete headers.host;
  const path = `${parsed.pathname}${parsed.search}`;
  return { method: method.toUpperCase(), scheme, host, port, path, headers: { ...headers, ':authority': authority, ':method': method.toUpperCase(), ':path': path, ':scheme': scheme } };
}
