import type { Server } from 'node:http';
import type { FilterFactoryContext, Gauge, JsonObject } from '@mizzen/filters';
import { flushAccessLogs } from '@mizzen/filters';
import { startAdminServer, type AdminTarget } from './admin/admin-server.ts';
import type { BootstrapConfig } from './bootstrap/bootstrap-config.ts';
import { ListenerManager } from './listener/listener-manager.ts';
import type { ConsoleLogger } from './log/logger.ts';
import { mergeStats } from './stats/stats-merge.ts';
import { Stats, type StatEntry } from './stats/stats-store.ts';
import { WorkerPool } from './workers/worker-pool.ts';
import { SecretStore } from './tls/secret-store.ts';
import { ClusterManager } from './upstream/cluster-manager.ts';
import { healthShareOf } from './upstream/health-check-sharing.ts';
import type { DynamicConfig, TransportFactory } from './xds/dynamic-config.ts';
import { RouteConfigStore } from './xds/route-config-store.ts';
import { secretServers } from './xds/secret-servers.ts';

export interface ProxyOptions {
  readonly log: ConsoleLogger;
  readonly drainTimeMs: number;
  readonly concurrency: number;
  /** How to reach the ADS server; tests may swap the transport. */
  readonly transport?: TransportFactory;
  /** A worker thread serves traffic only: no admin, and it follows the main thread's xDS. */
  readonly role?: 'main' | 'worker';
}

// Envoy's server.state values.
const STATE = { LIVE: 0, DRAINING: 1, PRE_INITIALIZING: 2, INITIALIZING: 3 } as const;
type State = keyof typeof STATE;

/** The whole proxy: stats, clusters, routes, listeners, xDS and admin, wired together. */
export class ProxyServer implements AdminTarget {
  readonly stats = new Stats();
  readonly log: ConsoleLogger;
  readonly clusters: ClusterManager;
  readonly routes: RouteConfigStore;
  readonly secrets: SecretStore;
  readonly listeners: ListenerManager;
  readonly bootstrap: JsonObject;
  readonly startTime = new Date().toISOString();
  private readonly config: BootstrapConfig;
  private readonly options: ProxyOptions;
  private dynamic: DynamicConfig | undefined;
  private workers: WorkerPool | undefined;
  private admin: Server | undefined;
  private currentState: State = 'PRE_INITIALIZING';
  private readonly stateGauge: Gauge;
  private stopping: Promise<void> | undefined;
  /** Resolves when the proxy has stopped (quitquitquit or a signal). */
  readonly stopped: Promise<void>;
  private resolveStopped: () => void = () => {};
  /** Resolves when the proxy first becomes LIVE. */
  readonly live: Promise<void>;
  private resolveLive: () => void = () => {};

  constructor(config: BootstrapConfig, options: ProxyOptions) {
    this.config = config;
    this.options = options;
    this.log = options.log;
    this.bootstrap = config.json;
    this.secrets = new SecretStore(this.stats);
    this.clusters = new ClusterManager(this.stats, this.log, this.secrets);
    this.routes = new RouteConfigStore(this.stats);
    const context: FilterFactoryContext = { clusterManager: this.clusters, stats: this.stats, routeConfigs: this.routes, log: this.log };
    this.listeners = new ListenerManager(context, this.secrets, options.drainTimeMs, options.concurrency > 1 || options.role === 'worker');
    this.routes.onUpdated = () => void this.listeners.onDependenciesUpdated();
    this.stateGauge = this.stats.gauge('server.state');
    this.stateGauge.set(STATE.PRE_INITIALIZING);
    this.stats.gauge('server.concurrency').set(options.concurrency);
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.live = new Promise((resolve) => (this.resolveLive = resolve));
  }

  /** Loads static resources, opens admin, then starts xDS. Throws when a static resource is bad
   *  or a socket cannot be bound. */
  async start(): Promise<void> {
    this.secrets.addStatic(this.config.secrets);
    // SDS configs may name a static cluster of their own (Istio's sds-grpc) instead of ADS.
    this.secrets.useSecretServers(secretServers(this.config.json, this.config.node, this.log, async () => {
      this.clusters.onSecretsUpdated();
      await this.listeners.onDependenciesUpdated();
      this.checkInitialized();
    }));
    await this.clusters.addStatic(this.config.clusters);
    await this.listeners.addStatic(this.config.listeners);
    const worker = this.options.role === 'worker';
    if (!worker && this.options.concurrency > 1) {
      this.workers = await WorkerPool.start(this.options.concurrency - 1, { bootstrap: this.config.json, logLevel: this.log.level, drainTimeMs: this.options.drainTimeMs }, healthShareOf(this.stats));
    }
    if (this.config.admin && !worker) this.admin = await startAdminServer(this, this.config.admin.address, this.config.admin.port);
    const ads = this.config.ads;
    if (ads && (ads.cds || ads.lds)) {
      this.setState('INITIALIZING');
      // Loaded here, not up front: a static bootstrap never needs xDS, and gRPC is heavy.
      const { DynamicConfig } = await import('./xds/dynamic-config.ts');
      const factory = this.options.transport ?? (await import('./xds/grpc-transport.ts')).grpcTransport(ads.target, this.config.node, this.log, ads.delta);
      const targets = { clusters: this.clusters, listeners: this.listeners, routes: this.routes, secrets: this.secrets, stats: this.stats, log: this.log };
      const timeouts = { cdsMs: ads.cdsInitialFetchTimeoutMs, ldsMs: ads.ldsInitialFetchTimeoutMs };
      this.dynamic = new DynamicConfig(targets, factory, ads.cds, ads.lds, worker, worker ? undefined : timeouts);
      this.dynamic.onUpdate = () => this.checkInitialized();
      const workers = this.workers;
      if (workers) this.dynamic.onApplied = (typeUrl, resources, version) => workers.apply(typeUrl, resources, version);
    }
    this.checkInitialized();
  }

  /** The admin port actually bound (useful when the bootstrap asks for port 0). */
  get adminPort(): number | undefined {
    const address = this.admin?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  private checkInitialized(): void {
    if (this.currentState !== 'PRE_INITIALIZING' && this.currentState !== 'INITIALIZING') return;
    if (!this.dynamic || this.dynamic.initialized) {
      this.setState('LIVE');
      this.resolveLive();
      this.log.info('all clusters and listeners initialized; the proxy is live');
    }
  }

  private setState(state: State): void {
    this.currentState = state;
    this.stateGauge.set(STATE[state]);
    this.stats.gauge('server.live').set(state === 'LIVE' ? 1 : 0);
  }

  async statEntries(): Promise<StatEntry[]> {
    this.refreshStats();
    return mergeStats(this.stats.entries(), this.workers ? await this.workers.stats() : []);
  }

  /** Stats that are computed rather than counted, brought up to date before they are shown. */
  refreshStats(): void {
    this.stats.gauge('server.uptime').set(Math.floor(process.uptime()));
    this.stats.gauge('server.memory_allocated').set(process.memoryUsage().heapUsed);
  }

  state(): string {
    return this.currentState;
  }

  serverInfo(): JsonObject {
    const uptime = String(Math.floor(process.uptime()));
    return {
      version: 'mizzen/0.1.0',
      state: this.currentState,
      hot_restart_version: 'disabled',
      command_line_options: { concurrency: this.options.concurrency, drain_time: `${this.options.drainTimeMs / 1000}s`, log_level: this.log.level },
      node: this.config.node,
      uptime_current_epoch: `${uptime}s`,
      uptime_all_epochs: `${uptime}s`,
    };
  }

  quit(): void {
    void this.stop(0);
  }

  /** Stops accepting on every listener and drains their connections; the process stays up
   *  (admin answers) until it is stopped. */
  async drainListeners(): Promise<void> {
    this.setState('DRAINING');
    this.dynamic?.close();
    this.listeners.drainAll();
    await this.workers?.drain();
  }

  /** Stops accepting, lets open connections finish for up to `drainMs`, then closes everything. */
  stop(drainMs: number): Promise<void> {
    if (!this.stopping) this.stopping = this.shutdown(drainMs);
    return this.stopping;
  }

  private async shutdown(drainMs: number): Promise<void> {
    this.setState('DRAINING');
    this.dynamic?.close();
    this.secrets.close();
    this.listeners.drainAll();
    const workersStopped = this.workers?.stop(drainMs);
    if (drainMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.listeners.whenIdle(), new Promise((resolve) => (timer = setTimeout(resolve, drainMs)))]);
      clearTimeout(timer);
    }
    await this.listeners.close();
    await workersStopped;
    this.clusters.destroy();
    await new Promise<void>((resolve) => (this.admin ? this.admin.close(() => resolve()) : resolve()));
    this.admin?.closeAllConnections();
    // Entries wait a tick to leave in one write; the process may exit right after this.
    await flushAccessLogs();
    this.resolveStopped();
  }
}
