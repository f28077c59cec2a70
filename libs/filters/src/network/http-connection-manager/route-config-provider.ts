import type { RouteTable } from './route-table.ts';

/** A route configuration that may change under a running listener (RDS). */
export interface RouteConfigHandle {
  /** Undefined until the first RouteConfiguration of that name arrives. */
  readonly current: RouteTable | undefined;
}

/** The proxy's source of named route configurations. `subscribe` tells it that a listener
 *  needs the name (it then asks the control plane for it). */
export interface RouteConfigProvider {
  subscribe(name: string): RouteConfigHandle;
}
