// ClusterLoadAssignment (EDS) (envoy.config.endpoint.v3).
import type { Address, HealthStatus, Locality, Metadata } from './core.ts';

export type Endpoint = {
  address?: Address;
  health_check_config?: { port_value?: number; hostname?: string };
  hostname?: string;
};

export type LbEndpoint = {
  endpoint?: Endpoint;
  endpoint_name?: string;
  health_status?: HealthStatus;
  metadata?: Metadata;
  load_balancing_weight?: number;
};

export type LocalityLbEndpoints = {
  locality?: Locality;
  lb_endpoints?: LbEndpoint[];
  load_balancing_weight?: number;
  priority?: number;
};

export type ClusterLoadAssignment = {
  cluster_name?: string;
  endpoints?: LocalityLbEndpoints[];
  policy?: { overprovisioning_factor?: number; endpoint_stale_after?: string };
};
