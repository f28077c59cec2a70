import { dig, istioConfigName, textAt, type JsonObject } from './json-reading.ts';

export interface ClusterFilter {
  fqdn?: string;
  port?: number;
  subset?: string;
  direction?: string;
}

export interface ClusterRow {
  fqdn: string;
  port: string;
  subset: string;
  direction: string;
  type: string;
  destinationRule: string;
}

export const clusterHeader = ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'];

/** Istio's `DIRECTION|PORT|SUBSET|FQDN` cluster names apart; other names are an FQDN alone. */
export function parseClusterName(name: string): Pick<ClusterRow, 'fqdn' | 'port' | 'subset' | 'direction'> {
  const parts = name.split('|');
  if (parts.length !== 4) return { fqdn: name, port: '-', subset: '-', direction: '-' };
  const [direction, port, subset, fqdn] = parts;
  return { fqdn, port: port || '-', subset: subset || '-', direction: direction || '-' };
}

/** The discovery type; proto3 JSON leaves out the default STATIC, custom types give their name. */
function clusterType(cluster: JsonObject): string {
  const custom = textAt(dig(cluster, 'cluster_type', 'name'));
  if (custom) return custom;
  return textAt(cluster.type) || 'STATIC';
}

function toRow(cluster: JsonObject): ClusterRow {
  return { ...parseClusterName(textAt(cluster.name)), type: clusterType(cluster), destinationRule: istioConfigName(cluster) };
}

function matches(row: ClusterRow, filter: ClusterFilter): boolean {
  if (filter.fqdn !== undefined && !row.fqdn.includes(filter.fqdn)) return false;
  if (filter.port !== undefined && row.port !== String(filter.port)) return false;
  if (filter.subset !== undefined && row.subset !== filter.subset) return false;
  if (filter.direction !== undefined && row.direction !== filter.direction) return false;
  return true;
}

export function selectClusters(clusters: JsonObject[], filter: ClusterFilter): JsonObject[] {
  return clusters.filter((cluster) => matches(toRow(cluster), filter));
}

/** One row per cluster, by FQDN, port, subset, then direction. */
export function clusterRows(clusters: JsonObject[], filter: ClusterFilter = {}): ClusterRow[] {
  const key = (row: ClusterRow) => [row.fqdn, row.port.padStart(5, '0'), row.subset, row.direction].join('|');
  return selectClusters(clusters, filter)
    .map(toRow)
    .sort((a, b) => key(a).localeCompare(key(b)));
}

export function clusterCells(row: ClusterRow): string[] {
  return [row.fqdn, row.port, row.subset, row.direction, row.type, row.destinationRule];
}
