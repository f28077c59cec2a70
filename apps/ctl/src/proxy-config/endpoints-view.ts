import { arrayAt, dig, isObject, textAt, type JsonObject } from './json-reading.ts';

export interface EndpointFilter {
  address?: string;
  port?: number;
  cluster?: string;
  /** healthy, unhealthy, draining, ... any case. */
  status?: string;
}

export interface EndpointRow {
  address: string;
  port: string;
  status: string;
  outlierCheck: string;
  cluster: string;
}

export const endpointHeader = ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'];

function hostAddress(address: unknown): { address: string; port: string } {
  const socket = dig(address, 'socket_address');
  if (socket) return { address: textAt(dig(socket, 'address')), port: textAt(dig(socket, 'port_value')) };
  return { address: textAt(dig(address, 'pipe', 'path')) || textAt(dig(address, 'envoy_internal_address', 'server_listener_name')), port: '' };
}

/** Rows of the ClusterLoadAssignments of a config dump. Envoy counts an endpoint without a
 *  health status (UNKNOWN) as healthy, and a dump knows nothing of outlier detection: OK. */
export function endpointRowsFromAssignments(assignments: JsonObject[]): EndpointRow[] {
  return assignments.flatMap((assignment) => {
    const cluster = textAt(assignment.cluster_name);
    return arrayAt(assignment.endpoints, `ClusterLoadAssignment ${cluster}.endpoints`).flatMap((locality) =>
      arrayAt(dig(locality, 'lb_endpoints'), `ClusterLoadAssignment ${cluster}.endpoints[].lb_endpoints`).map((lb) => {
        const status = textAt(dig(lb, 'health_status'));
        return { ...hostAddress(dig(lb, 'endpoint', 'address')), status: !status || status === 'UNKNOWN' ? 'HEALTHY' : status, outlierCheck: 'OK', cluster };
      }),
    );
  });
}

/** Rows of Envoy's `/clusters?format=json` (ClusterStatuses), which knows live health. */
export function endpointRowsFromClusterStatuses(statuses: unknown): EndpointRow[] {
  return arrayAt(dig(statuses, 'cluster_statuses'), 'cluster_statuses').flatMap((cluster) =>
    arrayAt(dig(cluster, 'host_statuses'), `cluster_statuses ${textAt(dig(cluster, 'name'))}.host_statuses`).map((host) => {
      const health = dig(host, 'health_status');
      const failedActive = dig(health, 'failed_active_health_check') === true;
      return {
        ...hostAddress(dig(host, 'address')),
        status: failedActive ? 'UNHEALTHY' : textAt(dig(health, 'eds_health_status')) || 'HEALTHY',
        outlierCheck: dig(health, 'failed_outlier_check') === true ? 'FAILED' : 'OK',
        cluster: textAt(dig(cluster, 'name')),
      };
    }),
  );
}

export function isClusterStatuses(value: unknown): boolean {
  return isObject(value) && Array.isArray(value.cluster_statuses);
}

function matches(row: EndpointRow, filter: EndpointFilter): boolean {
  if (filter.address !== undefined && row.address !== filter.address) return false;
  if (filter.port !== undefined && row.port !== String(filter.port)) return false;
  if (filter.cluster !== undefined && row.cluster !== filter.cluster) return false;
  if (filter.status !== undefined && row.status !== filter.status.toUpperCase()) return false;
  return true;
}

/** The assignments as Envoy JSON, keeping only the endpoints the filter selects. */
export function selectAssignments(assignments: JsonObject[], filter: EndpointFilter = {}): JsonObject[] {
  return assignments.flatMap((assignment) => {
    const localities = arrayAt(assignment.endpoints, 'ClusterLoadAssignment.endpoints').flatMap((locality) => {
      const kept = arrayAt(dig(locality, 'lb_endpoints'), 'lb_endpoints').filter((lb) =>
        endpointRowsFromAssignments([{ cluster_name: assignment.cluster_name, endpoints: [{ lb_endpoints: [lb] }] }]).every((row) => matches(row, filter)),
      );
      return kept.length > 0 ? [{ ...(locality as JsonObject), lb_endpoints: kept }] : [];
    });
    return localities.length > 0 ? [{ ...assignment, endpoints: localities }] : [];
  });
}

export function selectEndpoints(rows: EndpointRow[], filter: EndpointFilter = {}): EndpointRow[] {
  return rows
    .filter((row) => matches(row, filter))
    .sort((a, b) => endpointText(a).localeCompare(endpointText(b)) || a.cluster.localeCompare(b.cluster));
}

export function endpointText(row: EndpointRow): string {
  return row.port ? `${row.address}:${row.port}` : row.address;
}

export function endpointCells(row: EndpointRow): string[] {
  return [endpointText(row), row.status, row.outlierCheck, row.cluster];
}

/** Envoy's ClusterStatuses, keeping only the hosts the filter selects. */
export function selectClusterStatuses(statuses: unknown, filter: EndpointFilter = {}): JsonObject {
  const clusters = arrayAt(dig(statuses, 'cluster_statuses'), 'cluster_statuses').flatMap((cluster) => {
    const kept = arrayAt(dig(cluster, 'host_statuses'), 'host_statuses').filter((host) =>
      endpointRowsFromClusterStatuses({ cluster_statuses: [{ name: dig(cluster, 'name'), host_statuses: [host] }] }).every((row) => matches(row, filter)),
    );
    return kept.length > 0 ? [{ ...(cluster as JsonObject), host_statuses: kept }] : [];
  });
  return { cluster_statuses: clusters };
}
