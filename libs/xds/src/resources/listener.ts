// Listener and its filter chains (envoy.config.listener.v3).
import type { Address, Duration, Metadata, TransportSocket, TypedConfig } from './core.ts';

export type Filter = {
  name: string;
  typed_config?: TypedConfig;
};

export type CidrRange = {
  address_prefix?: string;
  prefix_len?: number;
};

export type FilterChainMatch = {
  destination_port?: number;
  prefix_ranges?: CidrRange[];
  direct_source_prefix_ranges?: CidrRange[];
  source_type?: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  source_prefix_ranges?: CidrRange[];
  source_ports?: number[];
  server_names?: string[];
  transport_protocol?: string;
  application_protocols?: string[];
};

export type FilterChain = {
  name?: string;
  filter_chain_match?: FilterChainMatch;
  filters?: Filter[];
  transport_socket?: TransportSocket;
  transport_socket_connect_timeout?: Duration;
  metadata?: Metadata;
};

export type ListenerFilter = {
  name: string;
  typed_config?: TypedConfig;
};

export type Listener = {
  name?: string;
  address?: Address;
  additional_addresses?: { address?: Address }[];
  stat_prefix?: string;
  filter_chains?: FilterChain[];
  default_filter_chain?: FilterChain;
  use_original_dst?: boolean;
  bind_to_port?: boolean;
  listener_filters?: ListenerFilter[];
  listener_filters_timeout?: Duration;
  continue_on_listener_filters_timeout?: boolean;
  traffic_direction?: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';
  transparent?: boolean;
  freebind?: boolean;
  per_connection_buffer_limit_bytes?: number;
  metadata?: Metadata;
  access_log?: { name?: string; typed_config?: TypedConfig }[];
};
