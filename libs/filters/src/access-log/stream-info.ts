import type { Socket } from 'node:net';
import type { UpstreamHost } from '../cluster-manager.ts';
import type { HeaderList } from '../http1/headers.ts';
import type { RequestHead } from '../http1/http-head.ts';
import type { DownstreamConnection } from '../registry.ts';

/**
 * What happened to one request (or one TCP connection), as access logs read it: Envoy's
 * StreamInfo. HTTP streams and TCP sessions carry these fields themselves, so recording them
 * costs a field write and no allocation. Times are performance.now() values, 0 until reached.
 */
export interface StreamInfo {
  readonly startTime: number;
  /** The last request byte arrived. */
  requestEndTime: number;
  /** The response head was sent downstream. */
  responseStartTime: number;
  /** The stream ended (response complete, reset, or the downstream went away). */
  endTime: number;
  /** ResponseFlag bits. */
  responseFlags: number;
  /** The status sent downstream; 0 when none was. */
  responseCode: number;
  /** Why that status (Envoy's response code details: "via_upstream", "route_not_found", ...). */
  responseCodeDetails: string | undefined;
  /** Request body bytes (HTTP) or bytes from the client (TCP). */
  bytesReceived: number;
  /** Response body bytes (HTTP) or bytes to the client (TCP). */
  bytesSent: number;
  upstreamHost: UpstreamHost | undefined;
  upstreamCluster: string | undefined;
  /** The upstream connection that carried the request, for %UPSTREAM_LOCAL_ADDRESS%. */
  upstreamSocket: Socket | undefined;
  upstreamTransportFailureReason: string | undefined;
  readonly connection: DownstreamConnection;
  /** HTTP only: the request as received, its authority, the route name and response headers. */
  readonly request: RequestHead | undefined;
  readonly authority: string | undefined;
  readonly routeName: string | undefined;
  readonly responseHeaders: HeaderList | undefined;
}

/** The fields every stream records, at their starting values, written once for both kinds: an
 *  HTTP stream extends this class (its StreamInfo costs no allocation per request), a TCP
 *  session holds a TcpStreamInfo. */
export class StreamRecord {
  readonly startTime = performance.now();
  requestEndTime = 0;
  responseStartTime = 0;
  endTime = 0;
  responseFlags = 0;
  responseCode = 0;
  responseCodeDetails: string | undefined = undefined;
  bytesReceived = 0;
  bytesSent = 0;
  upstreamHost: UpstreamHost | undefined = undefined;
  upstreamCluster: string | undefined = undefined;
  upstreamSocket: Socket | undefined = undefined;
  upstreamTransportFailureReason: string | undefined = undefined;
}

/** A proxied TCP connection's StreamInfo: the common record, with no HTTP request behind it. */
export class TcpStreamInfo extends StreamRecord implements StreamInfo {
  readonly connection: DownstreamConnection;
  readonly request = undefined;
  readonly authority = undefined;
  readonly routeName = undefined;
  readonly responseHeaders = undefined;

  constructor(connection: DownstreamConnection) {
    super();
    this.connection = connection;
  }
}
