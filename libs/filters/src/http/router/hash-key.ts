import { getHeader } from '../../http1/headers.ts';
import type { HttpStream } from '../../http-stream.ts';
import type { HashPolicy } from '../../network/http-connection-manager/route-table.ts';

/** 32-bit FNV-1a of a key's text. */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function keyText(policy: HashPolicy, stream: HttpStream): string | undefined {
  switch (policy.kind) {
    case 'header': return getHeader(stream.request.headers, policy.name);
    case 'cookie': return cookieValue(getHeader(stream.request.headers, 'cookie'), policy.name);
    case 'source_ip': return stream.connection.socket.remoteAddress;
    case 'query_parameter': {
      const q = stream.request.path.indexOf('?');
      return q === -1 ? undefined : (new URLSearchParams(stream.request.path.slice(q + 1)).get(policy.name) ?? undefined);
    }
  }
}

/** The consistent-hash key of a request under a route's hash_policy, or undefined when no
 *  policy finds its value. Keys of several policies are combined, as Envoy does; a terminal
 *  policy that found a value ends the list. */
export function requestHashKey(policies: readonly HashPolicy[], stream: HttpStream): number | undefined {
  let hash: number | undefined;
  for (const policy of policies) {
    const text = keyText(policy, stream);
    if (text === undefined) continue;
    const h = hashText(text);
    hash = hash === undefined ? h : (((hash << 1) | (hash >>> 31)) ^ h) >>> 0;
    if (policy.terminal) break;
  }
  return hash;
}
