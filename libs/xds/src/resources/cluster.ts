// Cluster (envoy.config.cluster.v3).
import type { ConfigSource, Duration, Metadata, TransportSocket, TypedConfig } from './core.ts';
import type { ClusterLoadAssignment } from './endpoint.ts';

export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
export type LbPolicy =
  | 'ROUND_ROBIN'
  | 'LEAST_REQUEST'
  | 'RING_HASH'
  | 'RANDOM'
  | 'MAGLEV'
  | 'CLUSTER_PROVIDED'
  | 'LOAD_BALANCING_POLICY_CONFIG';

export type Thresholds = {
  priority?: 'DEFAULT' | 'HIGH';
  max_connections?: number;
  max_pending_requests?: number;
  max_requests?: number;
  max_retries?: number;
  track_remaining?: boolean;
  max_connection_pools?: number;
};

export type CircuitBreakers = {
  thresholds?: Thresholds[];
};

export type OutlierDetection = {
  consecutive_5xx?: number;
  consecutive_gateway_failure?: number;
  consecutive_local_origin_failure?: number;
  interval?: Duration;
  base_ejection_time?: Duration;
  max_ejection_percent?: number;
  split_external_local_origin_errors?: boolean;
};

export type Cluster = {
  name?: string;
  alt_stat_name?: string;
  type?: DiscoveryType;
  cluster_type?: { name?: string; typed_config?: TypedConfig };
  eds_cluster_config?: { eds_config?: ConfigSource; service_name?: string };
  connect_timeout?: Duration;
  per_connection_buffer_limit_bytes?: number;
  lb_policy?: LbPolicy;
  load_assignment?: ClusterLoadAssignment;
  circuit_breakers?: CircuitBreakers;
  outlier_detection?: OutlierDetection;
  typed_extension_protocol_options?: { [extension: string]: TypedConfig };
  dns_lookup_family?: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';
  dns_refresh_rate?: Duration;
  respect_dns_ttl?: boolean;
  transport_socket?: TransportSocket;
  transport_socket_matches?: { name?: string; match?: Record<string, unknown>; transport_socket?: TransportSocket }[];
  metadata?: Metadata;
  common_lb_config?: { locality_weighted_lb_config?: Record<string, never>; healthy_panic_threshold?: { value?: number } };
  lb_subset_config?: Record<string, unknown>;
  original_dst_lb_config?: { use_http_header?: boolean; upstream_port_override?: number };
  cleanup_interval?: Duration;
  ignore_health_on_host_removal?: boolean;
};
