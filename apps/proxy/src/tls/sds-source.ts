// Where an SDS secret comes from when its sds_config is an api_config_source, as Istio's
// bootstraps write it: a gRPC stream to a secret server (the agent) named by a static cluster.
import { ConfigError, asObject, oneOf, onlyFields, optionalArray, optionalBoolean, requiredObject, requiredString, type JsonObject } from '@mizzen/filters';
import { readSocketAddress } from '../upstream/cluster-config.ts';

/** An SDS stream of its own: the static cluster that reaches the secret server. */
export interface SdsSource {
  readonly clusterName: string;
  /** api_type DELTA_GRPC: the DeltaSecrets stream instead of StreamSecrets. */
  readonly delta: boolean;
  /** The cluster_name field, for errors about the cluster. */
  readonly path: string;
}

/** One stream per config source: secrets of the same cluster and protocol share it. */
export function sdsSourceKey(source: SdsSource): string {
  return `${source.delta ? 'DELTA_GRPC' : 'GRPC'} ${source.clusterName}`;
}

/**
 * An SdsSecretConfig's sds_config: undefined for `ads: {}` (the secret comes over ADS), the
 * stream to open for an api_config_source. Throws naming the field for anything else.
 */
export function compileSdsConfigSource(source: JsonObject, path: string): SdsSource | undefined {
  onlyFields(source, path, ['ads', 'api_config_source', 'resource_api_version', 'initial_fetch_timeout']);
  oneOf(source, 'resource_api_version', path, ['V3'], 'V3');
  const api = source.api_config_source;
  if (source.ads !== undefined && api !== undefined) throw new ConfigError(path, 'only one of ads and api_config_source may be set');
  if (api === undefined) {
    if (source.ads === undefined) throw new ConfigError(path, 'one of ads and api_config_source is required');
    return undefined;
  }
  const apath = `${path}.api_config_source`;
  const obj = asObject(api, apath);
  onlyFields(obj, apath, ['api_type', 'transport_api_version', 'grpc_services', 'set_node_on_first_message_only']);
  const apiType = oneOf(obj, 'api_type', apath, ['GRPC', 'DELTA_GRPC', 'REST', 'AGGREGATED_GRPC', 'AGGREGATED_DELTA_GRPC'], 'GRPC');
  if (apiType !== 'GRPC' && apiType !== 'DELTA_GRPC') throw new ConfigError(`${apath}.api_type`, `${apiType} is not supported for SDS; use GRPC or DELTA_GRPC`);
  oneOf(obj, 'transport_api_version', apath, ['V3'], 'V3');
  optionalBoolean(obj, 'set_node_on_first_message_only', apath);
  const services = optionalArray(obj, 'grpc_services', apath);
  if (services.length !== 1) throw new ConfigError(`${apath}.grpc_services`, 'exactly one gRPC service is required');
  const spath = `${apath}.grpc_services[0]`;
  const service = asObject(services[0], spath);
  if (service.google_grpc !== undefined) throw new ConfigError(`${spath}.google_grpc`, 'not supported; name a static cluster with envoy_grpc');
  onlyFields(service, spath, ['envoy_grpc', 'timeout', 'initial_metadata']);
  const envoyGrpc = requiredObject(service, 'envoy_grpc', spath);
  onlyFields(envoyGrpc, `${spath}.envoy_grpc`, ['cluster_name', 'authority']);
  const clusterPath = `${spath}.envoy_grpc.cluster_name`;
  return { clusterName: requiredString(envoyGrpc, 'cluster_name', `${spath}.envoy_grpc`), delta: apiType === 'DELTA_GRPC', path: clusterPath };
}

/**
 * The gRPC target of each static cluster of a bootstrap that has one endpoint: `unix:PATH` for
 * a pipe (Istio's sds-grpc socket), `host:port` for a socket address. Clusters that cannot
 * carry a stream are left out; naming one for SDS is then an error.
 */
export function sdsClusterTargets(bootstrap: JsonObject): Map<string, string> {
  const targets = new Map<string, string>();
  const statics = (bootstrap.static_resources ?? {}) as { clusters?: unknown[] };
  for (const cluster of statics.clusters ?? []) {
    const { name, load_assignment: assignment } = cluster as { name?: unknown; load_assignment?: { endpoints?: { lb_endpoints?: { endpoint?: { address?: JsonObject } }[] }[] } };
    const lbEndpoints = assignment?.endpoints?.flatMap((e) => e.lb_endpoints ?? []) ?? [];
    const address = lbEndpoints[0]?.endpoint?.address;
    if (typeof name !== 'string' || !address) continue;
    const pipe = (address.pipe as { path?: unknown } | undefined)?.path;
    if (typeof pipe === 'string' && pipe !== '') {
      targets.set(name, `unix:${pipe}`);
      continue;
    }
    try {
      const { address: host, port } = readSocketAddress(address, `${name}.address`);
      targets.set(name, `${host.includes(':') ? `[${host}]` : host}:${port}`);
    } catch {
      // Not a usable address: the cluster is not offered for SDS.
    }
  }
  return targets;
}
