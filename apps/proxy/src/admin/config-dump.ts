import type { JsonObject } from '@mizzen/filters';
import { TypeUrl } from '@mizzen/xds/schema';
import type { ListenerManager } from '../listener/listener-manager.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import type { SecretStore } from '../tls/secret-store.ts';
import type { RouteConfigStore } from '../xds/route-config-store.ts';

export interface DumpSources {
  readonly bootstrap: JsonObject;
  readonly startTime: string;
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  readonly routes: RouteConfigStore;
  readonly secrets: SecretStore;
}

function withType(json: JsonObject, typeUrl: string): JsonObject {
  return json['@type'] ? json : { '@type': typeUrl, ...json };
}

/** SecretsConfigDump, private keys redacted as Envoy does. */
function secretsDump(secrets: SecretStore): JsonObject {
  const { staticSecrets, active, warming } = secrets.dump();
  return { '@type': TypeUrl.SecretsConfigDump, static_secrets: staticSecrets, dynamic_active_secrets: active, dynamic_warming_secrets: warming };
}

/** Envoy's admin ConfigDump: bootstrap, clusters, listeners and routes (and endpoints on request). */
export function configDump(s: DumpSources, includeEds: boolean): JsonObject {
  const clusters = s.clusters.activeEntries();
  const listeners = s.listeners.entries();
  const configs: JsonObject[] = [
    { '@type': TypeUrl.BootstrapConfigDump, bootstrap: s.bootstrap, last_updated: s.startTime },
    {
      '@type': TypeUrl.ClustersConfigDump,
      version_info: s.clusters.cdsVersion || undefined,
      static_clusters: clusters.filter((c) => c.isStatic).map((c) => ({ cluster: withType(c.cluster.config.json, TypeUrl.Cluster), last_updated: c.lastUpdated })),
      dynamic_active_clusters: clusters.filter((c) => !c.isStatic).map((c) => ({
        version_info: c.version, cluster: withType(c.cluster.config.json, TypeUrl.Cluster), last_updated: c.lastUpdated,
      })),
      dynamic_warming_clusters: s.clusters.warmingEntries().map((c) => ({
        version_info: c.version, cluster: withType(c.cluster.config.json, TypeUrl.Cluster), last_updated: c.lastUpdated,
      })),
    },
    {
      '@type': TypeUrl.ListenersConfigDump,
      version_info: s.listeners.ldsVersion || undefined,
      static_listeners: listeners.flatMap((l) => (l.isStatic ? [l.version ?? l.warming] : [])).filter((v) => v !== undefined).map((v) => ({
        listener: withType(v.config.json, TypeUrl.Listener), last_updated: v.lastUpdated,
      })),
      dynamic_listeners: listeners.filter((l) => !l.isStatic).map((l) => ({
        name: l.name,
        active_state: l.version && { version_info: l.version.version, listener: withType(l.version.config.json, TypeUrl.Listener), last_updated: l.version.lastUpdated },
        warming_state: l.warming && {
          version_info: l.warming.version, listener: withType(l.warming.config.json, TypeUrl.Listener), last_updated: l.warming.lastUpdated,
        },
      })),
    },
    {
      '@type': TypeUrl.RoutesConfigDump,
      dynamic_route_configs: s.routes.entries().map((r) => ({
        version_info: r.version, route_config: withType(r.json, TypeUrl.RouteConfiguration), last_updated: r.lastUpdated,
      })),
    },
  ];
  if (includeEds) {
    configs.push({
      '@type': TypeUrl.EndpointsConfigDump,
      dynamic_endpoint_configs: s.clusters.endpointAssignments().map((e) => ({
        version_info: e.version, endpoint_config: withType(e.json, TypeUrl.ClusterLoadAssignment), last_updated: e.lastUpdated,
      })),
    });
  }
  configs.push(secretsDump(s.secrets));
  // Envoy's JSON leaves out empty fields.
  return JSON.parse(JSON.stringify({ configs }, (_k, v) => (Array.isArray(v) && v.length === 0 ? undefined : v)));
}
