import { TypeUrl, resourceName, validationProblems, type JsonObject } from '@mizzen/xds/schema';
import type { Logger, StatsStore } from '@mizzen/filters';
import type { ListenerManager } from '../listener/listener-manager.ts';
import type { SecretStore } from '../tls/secret-store.ts';
import type { ClusterManager } from '../upstream/cluster-manager.ts';
import type { RouteConfigStore } from './route-config-store.ts';

/** The parts of the proxy that xDS updates. */
export interface DynamicTargets {
  readonly clusters: ClusterManager;
  readonly listeners: ListenerManager;
  readonly routes: RouteConfigStore;
  readonly secrets: SecretStore;
  readonly stats: StatsStore;
  readonly log: Logger;
}

export interface AdsTransport {
  subscribe(typeUrl: string, resourceNames: string[]): void;
  close(): void;
}

export type TransportFactory = (onResources: (typeUrl: string, resources: JsonObject[], version: string) => Promise<void>) => AdsTransport;

/** initial_fetch_timeout of the CDS and LDS config sources; 0 waits for ever. */
export interface InitialFetchTimeouts {
  readonly cdsMs: number;
  readonly ldsMs: number;
}

const NO_INITIAL_FETCH_TIMEOUT: InitialFetchTimeouts = { cdsMs: 0, ldsMs: 0 };

/**
 * Drives the proxy from ADS in Envoy's order: CDS first, then EDS for the EDS clusters; once
 * clusters are warm, LDS, then RDS for the route names the listeners use. Each response is
 * applied whole or not at all: a bad resource makes the handler throw, the client NACKs, and
 * the last good config keeps serving.
 */
export class DynamicConfig {
  private readonly targets: DynamicTargets;
  private readonly transport: AdsTransport;
  private readonly cds: boolean;
  private readonly lds: boolean;
  private edsNames = '';
  private rdsNames = '';
  private sdsNames = '';
  private ldsSubscribed = false;
  private readonly follower: boolean;
  cdsReceived = false;
  ldsReceived = false;
  /** initial_fetch_timeout passed before the clusters (with endpoints) or the listeners (with
   *  routes and secrets) arrived: initialization goes on without them, as in Envoy. */
  private cdsTimedOut = false;
  private ldsTimedOut = false;
  private readonly timeouts: InitialFetchTimeouts;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Called after every applied update (readiness is re-evaluated there). */
  onUpdate: () => void = () => {};
  /** Runs after a response applied here; throwing NACKs it (workers use this to follow along). */
  onApplied: (typeUrl: string, resources: JsonObject[], version: string) => Promise<void> = async () => {};

  /** `cds`/`lds`: whether the bootstrap takes clusters/listeners from ADS. With `follower`,
   *  this only applies what it is given and asks for nothing (a worker fed by the main thread). */
  constructor(targets: DynamicTargets, factory: TransportFactory, cds: boolean, lds: boolean, follower = false, timeouts = NO_INITIAL_FETCH_TIMEOUT) {
    this.targets = targets;
    this.timeouts = timeouts;
    this.cds = cds;
    this.lds = lds;
    this.cdsReceived = !cds;
    this.ldsReceived = !lds;
    this.transport = factory((typeUrl, resources, version) => this.apply(typeUrl, resources, version));
    this.follower = follower;
    targets.clusters.onChange = () => this.resubscribe();
    targets.routes.onChange = () => this.resubscribe();
    targets.secrets.onChange = () => this.resubscribe();
    if (cds && !follower) {
      this.transport.subscribe(TypeUrl.Cluster, []);
      this.startInitialFetchTimer(timeouts.cdsMs, () => this.clustersReady, () => (this.cdsTimedOut = true), 'cluster_manager.cds');
    }
    this.resubscribe();
  }

  /** The first CDS response and the endpoints of its EDS clusters are in (or timed out). */
  private get clustersReady(): boolean {
    return this.cdsTimedOut || (this.cdsReceived && this.targets.clusters.warmed);
  }

  /** The first LDS response, with the routes and secrets of its listeners, is in (or timed out). */
  private get listenersReady(): boolean {
    return this.ldsTimedOut || (this.ldsReceived && this.targets.routes.complete && this.targets.listeners.warmed);
  }

  /** True once the first CDS (with its EDS) and LDS (with its RDS) responses are applied. */
  get initialized(): boolean {
    return this.clustersReady && this.listenersReady;
  }

  /** Envoy's initial_fetch_timeout: past it, a stage still waiting counts as done. */
  private startInitialFetchTimer(ms: number, done: () => boolean, expire: () => void, stat: string): void {
    if (ms <= 0) return;
    const timer = setTimeout(() => {
      if (done()) return;
      expire();
      this.targets.stats.counter(`${stat}.init_fetch_timeout`).inc();
      this.targets.log.warn(`${stat}: initial fetch timed out after ${ms} ms; going on without it`);
      this.resubscribe();
      this.onUpdate();
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async apply(typeUrl: string, received: JsonObject[], version: string): Promise<void> {
    const { clusters, listeners, routes, secrets, stats } = this.targets;
    try {
      // Envoy's own rules first (required fields, ranges), as Envoy checks before it applies;
      // a worker gets only what the main thread checked and applied.
      const resources = this.follower ? received : received.map((r, i) => {
        const problems = validationProblems(typeUrl, r);
        if (problems.length > 0) throw new Error(`resource ${i} (${resourceName(r) || 'unnamed'}): ${problems.join('; ')}`);
        return r;
      });
      switch (typeUrl) {
        case TypeUrl.Cluster:
          clusters.applyCds(resources, version);
          this.cdsReceived = true;
          break;
        case TypeUrl.ClusterLoadAssignment:
          clusters.applyEds(resources, version);
          break;
        case TypeUrl.Listener:
          await listeners.applyLds(resources, version);
          this.ldsReceived = true;
          break;
        case TypeUrl.RouteConfiguration:
          routes.applyRds(resources, version);
          break;
        case TypeUrl.Secret:
          secrets.applySds(resources, version);
          clusters.onSecretsUpdated();
          await listeners.onDependenciesUpdated();
          break;
        default:
          throw new Error(`unexpected resource type ${typeUrl}`);
      }
      await this.onApplied(typeUrl, received, version);
    } catch (err) {
      const counter = { [TypeUrl.Cluster]: 'cluster_manager.cds', [TypeUrl.ClusterLoadAssignment]: 'cluster_manager.eds',
        [TypeUrl.Listener]: 'listener_manager.lds', [TypeUrl.RouteConfiguration]: 'http.rds', [TypeUrl.Secret]: 'sds' }[typeUrl];
      if (counter) stats.counter(`${counter}.update_rejected`).inc();
      this.targets.log.warn(`rejected ${typeUrl} version ${version}: ${(err as Error).message}`);
      throw err;
    } finally {
      this.resubscribe();
      this.onUpdate();
    }
  }

  /** Asks for the EDS and RDS names the current clusters and listeners need. */
  private resubscribe(): void {
    if (this.follower) return;
    const eds = this.targets.clusters.edsNames();
    if (eds.join('\n') !== this.edsNames) {
      this.edsNames = eds.join('\n');
      this.transport.subscribe(TypeUrl.ClusterLoadAssignment, eds);
    }
    if (this.lds && !this.ldsSubscribed && (!this.cds || this.clustersReady)) {
      this.ldsSubscribed = true;
      this.transport.subscribe(TypeUrl.Listener, []);
      this.startInitialFetchTimer(this.timeouts.ldsMs, () => this.listenersReady, () => (this.ldsTimedOut = true), 'listener_manager.lds');
    }
    // Secrets are asked for as soon as a listener or cluster names them (Envoy's SDS).
    const sds = this.targets.secrets.names();
    if (sds.join('\n') !== this.sdsNames) {
      this.sdsNames = sds.join('\n');
      this.transport.subscribe(TypeUrl.Secret, sds);
    }
    const rds = this.targets.routes.names();
    if (rds.join('\n') !== this.rdsNames) {
      this.rdsNames = rds.join('\n');
      this.transport.subscribe(TypeUrl.RouteConfiguration, rds);
    }
  }

  close(): void {
    for (const timer of this.timers.splice(0)) clearTimeout(timer);
    this.transport.close();
  }
}
