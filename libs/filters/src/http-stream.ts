import type { Socket } from 'node:net';
import type { StreamInfo } from './access-log/stream-info.ts';
import type { HeaderList } from './http1/headers.ts';
import type { RequestHead } from './http1/http-head.ts';
import type { RouteEntry } from './network/http-connection-manager/route-table.ts';
import type { DownstreamConnection } from './registry.ts';

/** Response body length passed to `encodeHeaders` when it is not known in advance. */
export const BODY_UNKNOWN = -1;
/** Response body length for responses that carry none (HEAD, 204, 304): framing headers pass as is. */
export const BODY_NONE = -2;

/** The downstream protocol of a stream, as access logs print it (%PROTOCOL%). */
export type HttpProtocol = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';

/** One downstream request as HTTP filters see it (Envoy's decoder/encoder filter callbacks).
 *  Filters record what happened (response flags, upstream host) in its StreamInfo fields. */
export interface HttpStream extends StreamInfo {
  readonly request: RequestHead;
  /** Host header (or the absolute-form authority). */
  readonly authority: string;
  /** The route the connection manager matched, or undefined (404 NR). */
  readonly route: RouteEntry | undefined;
  readonly connection: DownstreamConnection;
  /** The protocol the client speaks; an upstream with `use_downstream_protocol_config` follows it. */
  readonly protocol: HttpProtocol;
  /** The upgrade (lowercase, e.g. "websocket") the request asks for and its route allows. */
  readonly upgrade: string | undefined;
  /** After a 101 for an allowed upgrade: the connection leaves HTTP, and the caller owns the
   *  socket and the bytes already read past the request. */
  takeOverSocket(): { socket: Socket; buffered: Buffer | undefined };
  /** performance.now() when the request head was parsed. */
  readonly startTime: number;
  /** Answers from the proxy itself, e.g. 503 "no healthy upstream". */
  sendLocalReply(status: number, body: string, headers?: HeaderList): void;
  /** Starts the response. `bodyLength` >= 0, BODY_UNKNOWN (chunked) or BODY_NONE. Headers
   *  must not contain connection-level fields (connection, transfer-encoding, keep-alive). */
  encodeHeaders(status: number, reason: string, headers: HeaderList, bodyLength: number): void;
  /** Returns false when the downstream buffer is full; the filter then waits for onDownstreamDrain. */
  encodeData(data: Buffer): boolean;
  encodeEnd(): void;
  /** Ends the response with trailers (gRPC's `grpc-status`). A chunked HTTP/1.1 response
   *  carries them in its last chunk; a response of known length has nowhere to put them. */
  encodeTrailers(trailers: HeaderList): void;
  /** Resumes the filters after the one that returned 'stop' from decodeHeaders (a delay is
   *  over): they see the headers, then the body that arrived meanwhile. */
  continueDecoding(): void;
  /** Stops (true) or resumes (false) reading the request body from the client. */
  readDisable(disable: boolean): void;
  /** Aborts the response mid-way: the downstream connection is closed. */
  reset(): void;
  /** True once encodeHeaders or sendLocalReply ran. */
  readonly responseStarted: boolean;
}
