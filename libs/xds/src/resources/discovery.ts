// xDS discovery messages (envoy.service.discovery.v3), in Envoy JSON.
import type { Node, RpcStatus, TypedConfig } from './core.ts';

export type DiscoveryRequest = {
  version_info?: string;
  node?: Node;
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: RpcStatus;
};

export type DiscoveryResponse = {
  version_info?: string;
  resources?: TypedConfig[];
  type_url?: string;
  nonce?: string;
  control_plane?: { identifier?: string };
};

export type DeltaResource = {
  name?: string;
  version?: string;
  resource?: TypedConfig;
  aliases?: string[];
};

export type DeltaDiscoveryRequest = {
  node?: Node;
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: { [name: string]: string };
  response_nonce?: string;
  error_detail?: RpcStatus;
};

export type DeltaDiscoveryResponse = {
  system_version_info?: string;
  resources?: DeltaResource[];
  type_url?: string;
  removed_resources?: string[];
  nonce?: string;
};
