import { ConfigError } from '../../config-error.ts';
import { asObject, onlyFields, optionalArray, optionalInteger, requiredString, type JsonObject } from '../../config-reader.ts';

// tcp_proxy's weighted_clusters: each new connection goes to one of the clusters, chosen at
// random in proportion to the weights (how Istio shifts TCP traffic between subsets).

export interface WeightedCluster {
  name: string;
  weight: number;
}

/** Reads `cluster` or `weighted_clusters` (exactly one) into the clusters to choose from. */
export function tcpProxyClusters(obj: JsonObject, path: string): WeightedCluster[] {
  if ((obj.cluster === undefined) === (obj.weighted_clusters === undefined)) throw new ConfigError(path, 'exactly one of cluster, weighted_clusters is required');
  if (obj.cluster !== undefined) return [{ name: requiredString(obj, 'cluster', path), weight: 1 }];
  const wpath = `${path}.weighted_clusters`;
  const weighted = asObject(obj.weighted_clusters, wpath);
  onlyFields(weighted, wpath, ['clusters']);
  const clusters = optionalArray(weighted, 'clusters', wpath).map((item, i) => {
    const cpath = `${wpath}.clusters[${i}]`;
    const c = asObject(item, cpath);
    onlyFields(c, cpath, ['name', 'weight']);
    const weight = optionalInteger(c, 'weight', cpath) ?? 0;
    return { name: requiredString(c, 'name', cpath), weight };
  });
  if (clusters.length === 0) throw new ConfigError(`${wpath}.clusters`, 'at least one cluster is required');
  if (clusters.every((c) => c.weight === 0)) throw new ConfigError(`${wpath}.clusters`, 'the weights must not all be zero');
  return clusters;
}

/** The cluster for one connection; `random` is in [0, 1). */
export function pickCluster(clusters: readonly WeightedCluster[], random: number = Math.random()): string {
  const total = clusters.reduce((sum, c) => sum + c.weight, 0);
  let point = random * total;
  for (const c of clusters) {
    if (point < c.weight) return c.name;
    point -= c.weight;
  }
  return clusters.findLast((c) => c.weight > 0)!.name;
}
