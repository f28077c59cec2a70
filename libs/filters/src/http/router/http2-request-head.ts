import type { Http2RequestHead } from '../../cluster-manager.ts';
import type { HeaderList } from '../../http1/headers.ts';
import type { HttpStream } from '../../http-stream.ts';

// Fields HTTP/2 forbids (RFC 9113 8.2.2), plus host, which becomes :authority. `te` passes only
// as "trailers" (gRPC sends it).
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te']);

/** The request head of an HTTP/2 upstream stream: the same fields the HTTP/1.1 head carries,
 *  with the target and host as pseudo-headers. `extra` are the router's own fields. */
export function http2RequestHead(stream: HttpStream, path: string, authority: string, scheme: string, extra: HeaderList, endStream: boolean): Http2RequestHead {
  const request = stream.request;
  const src = request.headers;
  const headers: HeaderList = [];
  for (let i = 0; i < src.length; i += 2) {
    const name = src[i];
    if (NOT_FORWARDED.has(name)) {
      if (name === 'te' && src[i + 1].trim().toLowerCase() === 'trailers') headers.push('te', 'trailers');
      continue;
    }
    headers.push(name, src[i + 1]);
  }
  if (!request.chunked && request.contentLength >= 0) headers.push('content-length', String(request.contentLength));
  for (let i = 0; i < extra.length; i += 2) headers.push(extra[i], extra[i + 1]);
  return { method: request.method, path, authority, scheme, headers, endStream };
}
