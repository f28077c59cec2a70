import { ConfigError } from '../../config-error.ts';
import { onlyFields, optionalBoolean, optionalInteger, type JsonObject } from '../../config-reader.ts';

/** The parts of Envoy's Http2ProtocolOptions the downstream HTTP/2 codec honours. */
export interface Http2Options {
  readonly hpackTableSize: number;
  readonly maxConcurrentStreams: number;
  readonly initialStreamWindowSize: number;
  readonly initialConnectionWindowSize: number;
  /** Frames queued for a peer that does not read; past it the connection is closed (a flood). */
  readonly maxOutboundFrames: number;
}

// Envoy's defaults (its windows are far larger than HTTP/2's 64 KiB).
const MAX_STREAMS = 2_147_483_647;
const DEFAULT_WINDOW = 268_435_456;
const MIN_WINDOW = 65_535;
const MAX_WINDOW = 2_147_483_647;

export const DEFAULT_HTTP2_OPTIONS: Http2Options = {
  hpackTableSize: 4096,
  maxConcurrentStreams: MAX_STREAMS,
  initialStreamWindowSize: DEFAULT_WINDOW,
  initialConnectionWindowSize: DEFAULT_WINDOW,
  maxOutboundFrames: 10_000,
};

/** Reads `http2_protocol_options`; a field node's HTTP/2 cannot honour is refused by name. */
export function compileHttp2Options(obj: JsonObject | undefined, path: string): Http2Options {
  if (obj === undefined) return DEFAULT_HTTP2_OPTIONS;
  onlyFields(obj, path, ['hpack_table_size', 'max_concurrent_streams', 'initial_stream_window_size', 'initial_connection_window_size', 'max_outbound_frames', 'allow_connect']);
  // Extended CONNECT (RFC 8441) is not implemented: only its default is accepted.
  if (optionalBoolean(obj, 'allow_connect', path) === true) throw new ConfigError(`${path}.allow_connect`, 'CONNECT over HTTP/2 is not supported by this proxy');
  const d = DEFAULT_HTTP2_OPTIONS;
  return {
    hpackTableSize: optionalInteger(obj, 'hpack_table_size', path, 0, 4_294_967_295) ?? d.hpackTableSize,
    maxConcurrentStreams: optionalInteger(obj, 'max_concurrent_streams', path, 1, MAX_STREAMS) ?? d.maxConcurrentStreams,
    initialStreamWindowSize: optionalInteger(obj, 'initial_stream_window_size', path, MIN_WINDOW, MAX_WINDOW) ?? d.initialStreamWindowSize,
    initialConnectionWindowSize: optionalInteger(obj, 'initial_connection_window_size', path, MIN_WINDOW, MAX_WINDOW) ?? d.initialConnectionWindowSize,
    maxOutboundFrames: optionalInteger(obj, 'max_outbound_frames', path, 1, 4_294_967_295) ?? d.maxOutboundFrames,
  };
}
