// Envoy core types in Envoy JSON (snake_case), with the fields Mizzen uses.
// Every field is optional where proto3 lets it be absent; extra fields are allowed by the codec.
import type { JsonObject } from '../json/codec.ts';

/** An Envoy JSON message packed in an Any: "@type" plus the message's fields. */
export interface TypedConfig {
  '@type': string;
  [field: string]: unknown;
}

/** A Duration in JSON: "1.5s". */
export type Duration = string;

export interface SocketAddress {
  protocol?: 'TCP' | 'UDP';
  address?: string;
  port_value?: number;
  named_port?: string;
  resolver_name?: string;
  ipv4_compat?: boolean;
}

export interface Pipe {
  path?: string;
  mode?: number;
}

export interface Address {
  socket_address?: SocketAddress;
  pipe?: Pipe;
}

export interface Metadata {
  filter_metadata?: { [filter: string]: JsonObject };
  typed_filter_metadata?: { [filter: string]: TypedConfig };
}

export interface Locality {
  region?: string;
  zone?: string;
  sub_zone?: string;
}

export interface Node {
  id?: string;
  cluster?: string;
  metadata?: JsonObject;
  locality?: Locality;
  user_agent_name?: string;
  user_agent_version?: string;
}

export interface TransportSocket {
  name?: string;
  typed_config?: TypedConfig;
}

/** An empty message: `ads: {}` selects the ADS stream. */
export type AggregatedConfigSource = Record<string, never>;

export interface ConfigSource {
  ads?: AggregatedConfigSource;
  path_config_source?: { path?: string };
  api_config_source?: ApiConfigSource;
  initial_fetch_timeout?: Duration;
  resource_api_version?: 'AUTO' | 'V2' | 'V3';
}

export interface GrpcService {
  envoy_grpc?: { cluster_name?: string; authority?: string };
  timeout?: Duration;
}

export interface ApiConfigSource {
  api_type?: 'GRPC' | 'DELTA_GRPC' | 'REST' | 'AGGREGATED_GRPC' | 'AGGREGATED_DELTA_GRPC';
  transport_api_version?: 'AUTO' | 'V2' | 'V3';
  grpc_services?: GrpcService[];
  set_node_on_first_message_only?: boolean;
}

export interface HeaderValue {
  key?: string;
  value?: string;
}

export interface HeaderValueOption {
  header?: HeaderValue;
  append_action?: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
  keep_empty_value?: boolean;
}

export interface RuntimeFractionalPercent {
  default_value?: FractionalPercent;
  runtime_key?: string;
}

export interface FractionalPercent {
  numerator?: number;
  denominator?: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION';
}

export interface DataSource {
  filename?: string;
  inline_bytes?: string;
  inline_string?: string;
  environment_variable?: string;
}

export interface HealthStatusSet {
  statuses?: string[];
}

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export interface Http1ProtocolOptions {
  accept_http_10?: boolean;
}

export interface Http2ProtocolOptions {
  max_concurrent_streams?: number;
}

export interface HttpProtocolOptions {
  idle_timeout?: Duration;
  max_connection_duration?: Duration;
  max_requests_per_connection?: number;
}

/** google.rpc.Status, as sent in a NACK's error_detail. */
export interface RpcStatus {
  code?: number;
  message?: string;
  details?: TypedConfig[];
}
