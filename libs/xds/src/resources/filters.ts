// Typed configs of the network and HTTP filters Mizzen uses.
import type { ConfigSource, Duration, HttpProtocolOptions, Http1ProtocolOptions, Http2ProtocolOptions, TypedConfig } from './core.ts';
import type { RouteConfiguration } from './route.ts';

export type HttpFilter = {
  name: string;
  typed_config?: TypedConfig;
  is_optional?: boolean;
  disabled?: boolean;
};

/** envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager */
export type HttpConnectionManager = {
  codec_type?: 'AUTO' | 'HTTP1' | 'HTTP2' | 'HTTP3';
  stat_prefix?: string;
  rds?: { config_source?: ConfigSource; route_config_name?: string };
  route_config?: RouteConfiguration;
  http_filters?: HttpFilter[];
  tracing?: Record<string, unknown>;
  common_http_protocol_options?: HttpProtocolOptions;
  http_protocol_options?: Http1ProtocolOptions;
  http2_protocol_options?: Http2ProtocolOptions;
  server_name?: string;
  stream_idle_timeout?: Duration;
  request_timeout?: Duration;
  drain_timeout?: Duration;
  access_log?: { name?: string; typed_config?: TypedConfig }[];
  use_remote_address?: boolean;
  xff_num_trusted_hops?: number;
  forward_client_cert_details?: 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';
  set_current_client_cert_details?: { subject?: boolean; cert?: boolean; chain?: boolean; dns?: boolean; uri?: boolean };
  upgrade_configs?: { upgrade_type?: string; enabled?: boolean }[];
  normalize_path?: boolean;
  merge_slashes?: boolean;
  path_with_escaped_slashes_action?: string;
  generate_request_id?: boolean;
  preserve_external_request_id?: boolean;
};

/** envoy.extensions.filters.http.router.v3.Router */
export type Router = {
  dynamic_stats?: boolean;
  start_child_span?: boolean;
  suppress_envoy_headers?: boolean;
};

/** envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy */
export type TcpProxy = {
  stat_prefix?: string;
  cluster?: string;
  weighted_clusters?: { clusters?: { name: string; weight?: number }[] };
  idle_timeout?: Duration;
  max_connect_attempts?: number;
  access_log?: { name?: string; typed_config?: TypedConfig }[];
};
