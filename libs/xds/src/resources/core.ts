// Envoy core types in Envoy JSON (snake_case), with the fields Mizzen uses.
// Every field is optional where proto3 lets it be absent. They are type aliases rather than
// interfaces so that a typed resource is also a JsonObject (push it, normalize it) as it is.
import type { JsonObject } from '../json/codec.ts';

/** An Envoy JSON message packed in an Any: "@type" plus the message's fields. */
export type TypedConfig = {
  '@type': string;
  [field: string]: unknown;
};

/** A Duration in JSON: "1.5s". */
export type Duration = string;

export type SocketAddress = {
  protocol?: 'TCP' | 'UDP';
  address?: string;
  port_value?: number;
  named_port?: string;
  resolver_name?: string;
  ipv4_compat?: boolean;
};

export type Pipe = {
  path?: string;
  mode?: number;
};

export type Address = {
  socket_address?: SocketAddress;
  pipe?: Pipe;
};

export type Metadata = {
  filter_metadata?: { [filter: string]: JsonObject };
  typed_filter_metadata?: { [filter: string]: TypedConfig };
};

export type Locality = {
  region?: string;
  zone?: string;
  sub_zone?: string;
};

export type Node = {
  id?: string;
  cluster?: string;
  metadata?: JsonObject;
  locality?: Locality;
  user_agent_name?: string;
  user_agent_version?: string;
};

export type TransportSocket = {
  name?: string;
  typed_config?: TypedConfig;
};

/** An empty message: `ads: {}` selects the ADS stream. */
export type AggregatedConfigSource = Record<string, never>;

export type ConfigSource = {
  ads?: AggregatedConfigSource;
  path_config_source?: { path?: string };
  api_config_source?: ApiConfigSource;
  initial_fetch_timeout?: Duration;
  resource_api_version?: 'AUTO' | 'V2' | 'V3';
};

export type GrpcService = {
  envoy_grpc?: { cluster_name?: string; authority?: string };
  timeout?: Duration;
};

export type ApiConfigSource = {
  api_type?: 'GRPC' | 'DELTA_GRPC' | 'REST' | 'AGGREGATED_GRPC' | 'AGGREGATED_DELTA_GRPC';
  transport_api_version?: 'AUTO' | 'V2' | 'V3';
  grpc_services?: GrpcService[];
  set_node_on_first_message_only?: boolean;
};

export type HeaderValue = {
  key?: string;
  value?: string;
};

export type HeaderValueOption = {
  header?: HeaderValue;
  append_action?: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
  keep_empty_value?: boolean;
};

export type RuntimeFractionalPercent = {
  default_value?: FractionalPercent;
  runtime_key?: string;
};

export type FractionalPercent = {
  numerator?: number;
  denominator?: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION';
};

export type DataSource = {
  filename?: string;
  inline_bytes?: string;
  inline_string?: string;
  environment_variable?: string;
};

export type HealthStatusSet = {
  statuses?: string[];
};

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export type Http1ProtocolOptions = {
  accept_http_10?: boolean;
};

export type Http2ProtocolOptions = {
  max_concurrent_streams?: number;
};

export type HttpProtocolOptions = {
  idle_timeout?: Duration;
  max_connection_duration?: Duration;
  max_requests_per_connection?: number;
};

/** google.rpc.Status, as sent in a NACK's error_detail. */
export type RpcStatus = {
  code?: number;
  message?: string;
  details?: TypedConfig[];
};
