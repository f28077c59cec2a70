// Envoy's /config_dump shape, built from the resources a proxy holds, so that tools made for
// Envoy (istioctl proxy-config) read ours unchanged.
import { normalize, type JsonObject } from '../json/codec.ts';
import { resourceName, TypeUrl } from '../resources/type-url.ts';

/** One resource as the proxy holds it. */
export interface DumpEntry {
  resource: JsonObject;
  /** version_info of the response that brought it; absent for static (bootstrap) resources. */
  version?: string;
  /** When it was applied: a Date or an RFC 3339 string. */
  lastUpdated?: Date | string;
  /** From the bootstrap rather than xDS. */
  static?: boolean;
}

export interface ConfigDumpSources {
  bootstrap?: JsonObject;
  bootstrapUpdated?: Date | string;
  listeners?: DumpEntry[];
  clusters?: DumpEntry[];
  routes?: DumpEntry[];
  endpoints?: DumpEntry[];
  secrets?: DumpEntry[];
  /** The last accepted version_info of the wildcard types. */
  listenersVersion?: string;
  clustersVersion?: string;
}

function timestamp(value: Date | string | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}

function tagged(typeUrl: string, resource: JsonObject): JsonObject {
  return { '@type': typeUrl, ...resource };
}

/** Leaves out absent values, as Envoy's dump does. */
function compact(object: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function split(entries: DumpEntry[]): { statics: DumpEntry[]; dynamics: DumpEntry[] } {
  return { statics: entries.filter((e) => e.static), dynamics: entries.filter((e) => !e.static) };
}

function listenersDump(entries: DumpEntry[], version: string | undefined): JsonObject {
  const { statics, dynamics } = split(entries);
  return compact({
    '@type': TypeUrl.ListenersConfigDump,
    version_info: version,
    static_listeners: statics.map((e) => compact({ listener: tagged(TypeUrl.Listener, e.resource), last_updated: timestamp(e.lastUpdated) })),
    dynamic_listeners: dynamics.map((e) => ({
      name: resourceName(e.resource),
      active_state: compact({
        version_info: e.version,
        listener: tagged(TypeUrl.Listener, e.resource),
        last_updated: timestamp(e.lastUpdated),
      }),
    })),
  });
}

function clustersDump(entries: DumpEntry[], version: string | undefined): JsonObject {
  const { statics, dynamics } = split(entries);
  return compact({
    '@type': TypeUrl.ClustersConfigDump,
    version_info: version,
    static_clusters: statics.map((e) => compact({ cluster: tagged(TypeUrl.Cluster, e.resource), last_updated: timestamp(e.lastUpdated) })),
    dynamic_active_clusters: dynamics.map((e) =>
      compact({ version_info: e.version, cluster: tagged(TypeUrl.Cluster, e.resource), last_updated: timestamp(e.lastUpdated) }),
    ),
  });
}

function routesDump(entries: DumpEntry[]): JsonObject {
  const { statics, dynamics } = split(entries);
  const config = (e: DumpEntry) => tagged(TypeUrl.RouteConfiguration, e.resource);
  return {
    '@type': TypeUrl.RoutesConfigDump,
    static_route_configs: statics.map((e) => compact({ route_config: config(e), last_updated: timestamp(e.lastUpdated) })),
    dynamic_route_configs: dynamics.map((e) =>
      compact({ version_info: e.version, route_config: config(e), last_updated: timestamp(e.lastUpdated) }),
    ),
  };
}

function endpointsDump(entries: DumpEntry[]): JsonObject {
  const { statics, dynamics } = split(entries);
  const config = (e: DumpEntry) => tagged(TypeUrl.ClusterLoadAssignment, e.resource);
  return {
    '@type': TypeUrl.EndpointsConfigDump,
    static_endpoint_configs: statics.map((e) => compact({ endpoint_config: config(e), last_updated: timestamp(e.lastUpdated) })),
    dynamic_endpoint_configs: dynamics.map((e) =>
      compact({ version_info: e.version, endpoint_config: config(e), last_updated: timestamp(e.lastUpdated) }),
    ),
  };
}

function secretsDump(entries: DumpEntry[]): JsonObject {
  const { statics, dynamics } = split(entries);
  const secret = (e: DumpEntry) => tagged(TypeUrl.Secret, e.resource);
  return {
    '@type': TypeUrl.SecretsConfigDump,
    static_secrets: statics.map((e) =>
      compact({ name: resourceName(e.resource), secret: secret(e), last_updated: timestamp(e.lastUpdated) }),
    ),
    dynamic_active_secrets: dynamics.map((e) =>
      compact({ name: resourceName(e.resource), version_info: e.version, secret: secret(e), last_updated: timestamp(e.lastUpdated) }),
    ),
  };
}

/**
 * A ConfigDump in canonical Envoy JSON, its sections in Envoy's order (bootstrap, clusters,
 * listeners, routes, secrets, endpoints); a section appears when its source is given.
 * Throws XdsError naming the field when a resource does not fit its type.
 */
export function adminConfigDump(sources: ConfigDumpSources): JsonObject {
  const configs: JsonObject[] = [];
  if (sources.bootstrap) {
    configs.push(
      compact({ '@type': TypeUrl.BootstrapConfigDump, bootstrap: sources.bootstrap, last_updated: timestamp(sources.bootstrapUpdated) }),
    );
  }
  if (sources.clusters) configs.push(clustersDump(sources.clusters, sources.clustersVersion));
  if (sources.listeners) configs.push(listenersDump(sources.listeners, sources.listenersVersion));
  if (sources.routes) configs.push(routesDump(sources.routes));
  if (sources.secrets) configs.push(secretsDump(sources.secrets));
  if (sources.endpoints) configs.push(endpointsDump(sources.endpoints));
  return normalize(TypeUrl.ConfigDump, { configs });
}
