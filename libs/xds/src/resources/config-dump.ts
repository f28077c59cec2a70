// Admin /config_dump shapes (envoy.admin.v3).
import type { TypedConfig } from './core.ts';

export type ConfigDump = {
  configs?: TypedConfig[];
};

/** Listeners, clusters, routes and endpoints in a dump carry their resource as an Any. */
export type DynamicListener = {
  name?: string;
  active_state?: { version_info?: string; listener?: TypedConfig; last_updated?: string };
  warming_state?: { version_info?: string; listener?: TypedConfig; last_updated?: string };
  error_state?: { failed_configuration?: TypedConfig; last_update_attempt?: string; details?: string };
};

export type ListenersConfigDump = {
  version_info?: string;
  static_listeners?: { listener?: TypedConfig; last_updated?: string }[];
  dynamic_listeners?: DynamicListener[];
};

export type ClustersConfigDump = {
  version_info?: string;
  static_clusters?: { cluster?: TypedConfig; last_updated?: string }[];
  dynamic_active_clusters?: { version_info?: string; cluster?: TypedConfig; last_updated?: string }[];
  dynamic_warming_clusters?: { version_info?: string; cluster?: TypedConfig; last_updated?: string }[];
};

export type RoutesConfigDump = {
  static_route_configs?: { route_config?: TypedConfig; last_updated?: string }[];
  dynamic_route_configs?: { version_info?: string; route_config?: TypedConfig; last_updated?: string }[];
};

export type EndpointsConfigDump = {
  static_endpoint_configs?: { endpoint_config?: TypedConfig; last_updated?: string }[];
  dynamic_endpoint_configs?: { version_info?: string; endpoint_config?: TypedConfig; last_updated?: string }[];
};

export type BootstrapConfigDump = {
  bootstrap?: TypedConfig;
  last_updated?: string;
};

export type SecretsConfigDump = {
  static_secrets?: { name?: string; secret?: TypedConfig; last_updated?: string }[];
  dynamic_active_secrets?: { name?: string; version_info?: string; secret?: TypedConfig; last_updated?: string }[];
};
