// Bootstrap (envoy.config.bootstrap.v3), what pilot-agent writes and the proxy starts from.
import type { Address, ApiConfigSource, ConfigSource, Node } from './core.ts';
import type { Cluster } from './cluster.ts';
import type { Listener } from './listener.ts';
import type { Secret } from './secret.ts';

export type Admin = {
  address?: Address;
  access_log?: unknown[];
  profile_path?: string;
};

export type Bootstrap = {
  node?: Node;
  static_resources?: { listeners?: Listener[]; clusters?: Cluster[]; secrets?: Secret[] };
  dynamic_resources?: { lds_config?: ConfigSource; cds_config?: ConfigSource; ads_config?: ApiConfigSource };
  admin?: Admin;
  stats_config?: Record<string, unknown>;
  layered_runtime?: Record<string, unknown>;
  cluster_manager?: Record<string, unknown>;
};
