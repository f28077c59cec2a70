import type { ClusterManager as FilterClusterManager, JsonObject, Logger, StatsStore } from '@mizzen/filters';
import { ConfigError } from '@mizzen/filters';
import { compileCluster, compileLoadAssignment, type ClusterConfig, type Endpoint } from './cluster-config.ts';
import type { SecretProvider } from '../tls/secret-store.ts';
import { tlsStats } from '../tls/tls-stats.ts';
import { MatchingTransport } from '../tls/matching-transport.ts';
import { UpstreamTls } from '../tls/upstream-tls.ts';
import type { UpstreamTlsConfig } from '../tls/tls-context.ts';
import { Cluster } from './upstream-cluster.ts';

export interface ClusterEntry {
  readonly cluster: Cluster;
  readonly isStatic: boolean;
  readonly version: string;
  readonly lastUpdated: string;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * All clusters by name. Static ones come from the bootstrap; CDS replaces the dynamic set as a
 * whole (state of the world). An EDS cluster warms until its endpoints arrive, and only then
 * replaces the cluster of the same name, so traffic never sees an empty cluster.
 */
export class ClusterManager implements FilterClusterManager {
  private readonly active = new Map<string, ClusterEntry>();
  private readonly warming = new Map<string, ClusterEntry>();
  /** Last ClusterLoadAssignment per EDS service name, so a re-added cluster warms at once. */
  private readonly assignments = new Map<string, { endpoints: Endpoint[]; json: JsonObject; version: string; lastUpdated: string }>();
  private readonly stats: StatsStore;
  private readonly log: Logger;
  cdsVersion = '';
  edsVersion = '';
  /** Called when the set of EDS names or the warming state changes. */
  onChange: () => void = () => {};

  private readonly secrets: SecretProvider;

  constructor(stats: StatsStore, log: Logger, secrets: SecretProvider) {
    this.stats = stats;
    this.log = log;
    this.secrets = secrets;
  }

  /** Gives a cluster with a TLS transport_socket the transport that opens its connections. */
  private withTransport(config: ClusterConfig, path: string): ClusterConfig {
    if (!config.tls && config.tlsMatches.length === 0) return config;
    const stats = tlsStats(this.stats, `cluster.${config.name}.`);
    // With no ALPN of its own, a TLS context offers the pool's protocol, as Envoy's pools do;
    // auto_config offers both and lets the server choose.
    const protocol = config.protocolOptions.protocol;
    const fallback = protocol === 'HTTP/2' ? ['h2'] : protocol === 'auto' ? ['h2', 'http/1.1'] : [];
    const withAlpn = (t: UpstreamTlsConfig): UpstreamTlsConfig => (t.alpn.length === 0 && fallback.length > 0 ? { ...t, alpn: fallback } : t);
    const tls = config.tls && new UpstreamTls(withAlpn(config.tls), this.secrets, stats, this.log, `${path}.transport_socket`);
    if (config.tlsMatches.length === 0) return { ...config, transport: tls };
    const choices = config.tlsMatches.map((m, i) => ({
      name: m.name, match: m.match, transport: m.tls && new UpstreamTls(withAlpn(m.tls), this.secrets, stats, this.log, `${path}.transport_socket_matches[${i}].transport_socket`),
    }));
    const transport = new MatchingTransport(choices, tls);
    transport.onEndpoints(config.endpoints);
    return { ...config, transport };
  }

  /** Ready for traffic: endpoints known and TLS secrets arrived. */
  private static isWarm(cluster: Cluster): boolean {
    return cluster.hasEndpoints && (cluster.config.transport?.ready ?? true);
  }

  /** SDS secrets arrived: clusters that waited only for them become active. */
  onSecretsUpdated(): void {
    for (const entry of [...this.warming.values()]) if (ClusterManager.isWarm(entry.cluster)) this.activate(entry);
    this.onChange();
  }

  getCluster(name: string): Cluster | undefined {
    return this.active.get(name)?.cluster;
  }

  activeEntries(): ClusterEntry[] {
    return [...this.active.values()];
  }

  warmingEntries(): ClusterEntry[] {
    return [...this.warming.values()];
  }

  endpointAssignments(): { json: JsonObject; version: string; lastUpdated: string }[] {
    return [...this.assignments.values()];
  }

  /** True when no cluster is waiting for endpoints. */
  get warmed(): boolean {
    return this.warming.size === 0;
  }

  /** EDS service names of every EDS cluster (active or warming). */
  edsNames(): string[] {
    const names = new Set<string>();
    for (const map of [this.active, this.warming]) {
      for (const { cluster } of map.values()) if (cluster.config.type === 'EDS') names.add(cluster.config.edsServiceName);
    }
    return [...names].sort();
  }

  /** Adds the bootstrap's clusters; resolves once every DNS one among them has resolved once
   *  (Envoy initializes static clusters before it starts listening). */
  addStatic(configs: ClusterConfig[]): Promise<void> {
    const now = new Date().toISOString();
    const resolutions: Promise<void>[] = [];
    for (const config of configs) {
      if (config.type === 'EDS') throw new ConfigError(`cluster "${config.name}"`, 'static EDS clusters are not supported');
      const entry: ClusterEntry = { cluster: new Cluster(this.withTransport(config, `static cluster "${config.name}"`), this.stats), isStatic: true, version: '', lastUpdated: now };
      resolutions.push(this.followDns(entry));
      if (ClusterManager.isWarm(entry.cluster)) this.active.set(config.name, entry);
      else this.warming.set(config.name, entry);
    }
    return Promise.all(resolutions).then(() => {});
  }

  /** Applies a CDS response; throws (the caller NACKs) without changing anything if any cluster is bad. */
  applyCds(resources: JsonObject[], version: string): void {
    const configs = resources.map((r, i) => this.withTransport(compileCluster(r, `Cluster[${i}]`), `Cluster[${i}]`));
    const names = new Set<string>();
    for (const c of configs) {
      if (names.has(c.name)) throw new ConfigError(`Cluster "${c.name}"`, 'duplicate cluster name');
      names.add(c.name);
      if (this.active.get(c.name)?.isStatic) throw new ConfigError(`Cluster "${c.name}"`, 'a static cluster of that name exists');
    }
    const now = new Date().toISOString();
    for (const config of configs) {
      const current = this.warming.get(config.name) ?? this.active.get(config.name);
      if (current && sameJson(current.cluster.config.json, config.json)) continue;
      const entry: ClusterEntry = { cluster: new Cluster(config, this.stats), isStatic: false, version, lastUpdated: now };
      void this.followDns(entry);
      const known = config.type === 'EDS' ? this.assignments.get(config.edsServiceName) : undefined;
      if (known) {
        entry.cluster.setEndpoints(known.endpoints);
        config.transport?.onEndpoints?.(known.endpoints);
      }
      if (ClusterManager.isWarm(entry.cluster)) this.activate(entry);
      else this.warming.set(config.name, entry);
    }
    for (const map of [this.active, this.warming]) {
      for (const [name, entry] of map) {
        if (entry.isStatic || names.has(name)) continue;
        map.delete(name);
        entry.cluster.destroy();
      }
    }
    this.cdsVersion = version;
    this.stats.counter('cluster_manager.cds.update_success').inc();
    this.stats.gauge('cluster_manager.active_clusters').set(this.active.size);
    this.stats.gauge('cluster_manager.warming_clusters').set(this.warming.size);
    this.onChange();
  }

  /** Applies an EDS response; throws without changing anything if an assignment is bad. */
  applyEds(resources: JsonObject[], version: string): void {
    const compiled = resources.map((r, i) => ({ json: r, ...compileLoadAssignment(r, `ClusterLoadAssignment[${i}]`) }));
    const now = new Date().toISOString();
    for (const { clusterName, endpoints, json } of compiled) {
      this.assignments.set(clusterName, { endpoints, json, version, lastUpdated: now });
      for (const entry of [...this.active.values(), ...this.warming.values()]) {
        if (entry.cluster.config.type !== 'EDS' || entry.cluster.config.edsServiceName !== clusterName) continue;
        entry.cluster.setEndpoints(endpoints);
        entry.cluster.config.transport?.onEndpoints?.(endpoints);
        if (this.warming.get(entry.cluster.name) === entry && ClusterManager.isWarm(entry.cluster)) this.activate(entry);
      }
    }
    this.edsVersion = version;
    this.stats.counter('cluster_manager.eds.update_success').inc();
    this.stats.gauge('cluster_manager.active_clusters').set(this.active.size);
    this.stats.gauge('cluster_manager.warming_clusters').set(this.warming.size);
    this.onChange();
  }

  /** A DNS cluster warms until its first resolution; each one updates its hosts in place. */
  private followDns(entry: ClusterEntry): Promise<void> {
    if (!entry.cluster.config.dns) return Promise.resolve();
    let first: () => void = () => {};
    const resolved = new Promise<void>((resolve) => (first = resolve));
    entry.cluster.onResolved = () => {
      first();
      if (this.warming.get(entry.cluster.name) !== entry || !ClusterManager.isWarm(entry.cluster)) return;
      this.activate(entry);
      this.stats.gauge('cluster_manager.active_clusters').set(this.active.size);
      this.stats.gauge('cluster_manager.warming_clusters').set(this.warming.size);
      this.onChange();
    };
    return resolved;
  }

  private activate(entry: ClusterEntry): void {
    this.warming.delete(entry.cluster.name);
    const old = this.active.get(entry.cluster.name);
    this.active.set(entry.cluster.name, entry);
    if (old && old.cluster !== entry.cluster) old.cluster.destroy();
    this.log.debug(`cluster ${entry.cluster.name} active`);
  }

  destroy(): void {
    for (const map of [this.active, this.warming]) for (const entry of map.values()) entry.cluster.destroy();
  }
}
