/**
 * Envoy's response flags: why a request ended the way it did, one bit each so that a stream
 * records them with a single `|=`. They print as Envoy prints %RESPONSE_FLAGS%: the short
 * names in this order, comma-separated, or "-" when none is set.
 */
export const ResponseFlag = {
  /** Local health check failed. */
  LH: 1 << 0,
  /** No healthy upstream host in the cluster. */
  UH: 1 << 1,
  /** Upstream request timeout (route timeout or per-try timeout). */
  UT: 1 << 2,
  /** The proxy reset the stream itself. */
  LR: 1 << 3,
  /** Upstream remote reset. */
  UR: 1 << 4,
  /** Upstream connection failure (refused, unreachable, connect timeout). */
  UF: 1 << 5,
  /** Upstream connection closed before the response was complete. */
  UC: 1 << 6,
  /** Upstream overflow: a circuit breaker refused the request. */
  UO: 1 << 7,
  /** No route for the request (or no matching filter chain). */
  NR: 1 << 8,
  /** The fault filter delayed the request. */
  DI: 1 << 9,
  /** The fault filter aborted the request. */
  FI: 1 << 10,
  /** Rate limited. */
  RL: 1 << 11,
  /** Refused by the external authorization service. */
  UAEX: 1 << 12,
  /** Rate limit service error. */
  RLSE: 1 << 13,
  /** The downstream connection closed before the response was complete. */
  DC: 1 << 14,
  /** A retriable failure that got no more tries (num_retries or max_retries reached). */
  URX: 1 << 15,
  /** Stream idle timeout. */
  SI: 1 << 16,
  /** Invalid x-envoy-* request headers. */
  IH: 1 << 17,
  /** Downstream protocol error. */
  DPE: 1 << 18,
  /** Upstream max stream duration reached. */
  UMSDR: 1 << 19,
  /** The route's max_stream_duration passed. */
  DT: 1 << 20,
  /** Upstream protocol error (a response that is not HTTP). */
  UPE: 1 << 21,
  /** The route's cluster does not exist. */
  NC: 1 << 22,
} as const;

export type ResponseFlagName = keyof typeof ResponseFlag;

const NAMES = Object.keys(ResponseFlag) as ResponseFlagName[];

// Most streams end with no flag or one: keep the strings for single flags.
const SINGLE = new Map<number, string>(NAMES.map((name) => [ResponseFlag[name], name]));

/** Envoy's %RESPONSE_FLAGS% text: "UF,URX", or "-" for none. */
export function formatResponseFlags(flags: number): string {
  if (flags === 0) return '-';
  const single = SINGLE.get(flags);
  if (single !== undefined) return single;
  const names: string[] = [];
  for (const name of NAMES) if ((flags & ResponseFlag[name]) !== 0) names.push(name);
  return names.join(',');
}

/** The flags in `text` ("UF,URX"), or a thrown Error naming the unknown one. */
export function parseResponseFlags(text: string): number {
  let flags = 0;
  for (const part of text.split(',')) {
    const name = part.trim() as ResponseFlagName;
    if (!(name in ResponseFlag)) throw new Error(`unknown response flag "${part}" (known: ${NAMES.join(', ')})`);
    flags |= ResponseFlag[name];
  }
  return flags;
}
