import type { IncomingHttpHeaders } from 'node:http';

/**
 * What Bookinfo's services pass on from each request to the calls it makes: the request id
 * and every tracer's context, so the mesh can stitch one trace across hops, and the caller's
 * identity (`end-user`, cookies, credentials), which routing rules and policies match on.
 */
export const forwardedHeaders = [
  'x-request-id',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  'traceparent',
  'tracestate',
  'x-ot-span-context',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
  'x-cloud-trace-context',
  'grpc-trace-bin',
  'sw8',
  'user-agent',
  'cookie',
  'authorization',
  'jwt',
  'end-user',
];

export function pickForwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of forwardedHeaders) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}
