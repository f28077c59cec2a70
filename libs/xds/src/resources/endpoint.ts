// ClusterLoadAssignment (EDS) (envoy.config.endpoint.v3).
import type { Address, HealthStatus, Locality, Metadata } from './core.ts';

export interface Endpoint {
  address?: Address;
  health_check_config?: { port_value?: number; hostname?: string };
  hostname?: string;
}

export interface LbEndpoint {
  endpoint?: Endpoint;
  endpoint_name?: string;
  health_status?: HealthStatus;
  metadata?: Metadata;
  load_balancing_weight?: number;
}

export interface LocalityLbEndpoints {
  locality?: Locality;
  lb_endpoints?: LbEndpoint[];
  load_balancing_weight?: number;
  priority?: number;
}

export interface ClusterLoadAssignment {
  cluster_name?: string;
  endpoints?: LocalityLbEndpoints[];
  policy?: { overprovisioning_factor?: number; endpoint_stale_after?: string };
}
