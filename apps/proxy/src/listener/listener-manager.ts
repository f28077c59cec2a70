import { createServer, type Server, type Socket } from 'node:net';
import { originalDestination } from '@mizzen/net';
import {
  ConfigError, type ConnectionInfo, type Counter, type FilterFactoryContext, type Gauge, type JsonObject, type Logger, type RouteConfigHandle, type StatsStore,
} from '@mizzen/filters';
import type { SecretHandle, SecretProvider } from '../tls/secret-store.ts';
import { hostKey } from '../upstream/upstream-host.ts';
import { plainAddress, selectFilterChain } from './filter-chain-match.ts';
import { compileListener, type FilterChain, type Inspector, type ListenerConfig } from './listener-config.ts';

/** One version of a listener's config, with the connections it accepted. */
class ListenerVersion {
  readonly config: ListenerConfig;
  /** The RDS route configurations its connection managers use. */
  readonly routes: RouteConfigHandle[];
  /** The SDS secrets its TLS transport sockets use. */
  readonly secrets: SecretHandle[];
  readonly connections = new Set<Socket>();
  readonly cxTotal: Counter;
  readonly cxActive: Gauge;
  readonly noChain: Counter;
  readonly originalDstFailed: Counter;
  readonly preCxTimeout: Counter;
  readonly version: string;
  readonly lastUpdated = new Date().toISOString();

  constructor({ config, routes, secrets }: CompiledListener, stats: StatsStore, version: string) {
    this.config = config;
    this.routes = routes;
    this.secrets = secrets;
    this.version = version;
    const p = `listener.${config.address}_${config.port}.`;
    this.cxTotal = stats.counter(`${p}downstream_cx_total`);
    this.cxActive = stats.gauge(`${p}downstream_cx_active`);
    this.noChain = stats.counter(`${p}no_filter_chain_match`);
    this.originalDstFailed = stats.counter(`${p}original_dst_failed`);
    this.preCxTimeout = stats.counter(`${p}downstream_pre_cx_timeout`);
  }

  /** Warm: every route configuration and secret it needs has arrived. */
  get warm(): boolean {
    return this.routes.every((r) => r.current !== undefined) && this.secretsReady;
  }

  /** Without its secrets a TLS chain cannot serve at all. */
  get secretsReady(): boolean {
    return this.secrets.every((s) => s.current !== undefined);
  }

  /** Lets filters finish in-flight requests, then closes what is left after `drainMs`. */
  drain(drainMs: number): void {
    for (const chain of this.config.chains) chain.filter.drain();
    this.config.defaultChain?.filter.drain();
    if (this.connections.size === 0) return;
    setTimeout(() => {
      for (const socket of this.connections) socket.destroy();
    }, drainMs).unref();
  }
}

/** A listener built from its resource, with the RDS and SDS names its parts subscribed to. */
interface CompiledListener {
  readonly config: ListenerConfig;
  readonly routes: RouteConfigHandle[];
  readonly secrets: SecretHandle[];
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface ActiveListener {
  current: ListenerVersion;
  /** A replacement waiting for its routes (Envoy's warming); `current` serves meanwhile. */
  warming: ListenerVersion | undefined;
  server: Server | undefined;
  readonly isStatic: boolean;
}

type Destination = { address: string; port: number };

// What filter chains match on when no listener filter looked at the connection.
const NOT_INSPECTED: ConnectionInfo = Object.freeze({ transportProtocol: '', serverName: '', applicationProtocols: [] as string[] });
// The longest a timer can wait: listener_filters_timeout 0 means no timeout.
const NO_TIMEOUT_MS = 2 ** 31 - 1;

function localDestination(socket: Socket): { address: string; port: number } {
  return { address: plainAddress(socket.localAddress), port: socket.localPort ?? 0 };
}

/** With several workers each binds the port itself (SO_REUSEPORT) and the kernel spreads
 *  connections, as Envoy's workers do. */
function listen(server: Server, address: string, port: number, reusePort: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true, reusePort }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Owns the listeners: binds their sockets, hands each accepted connection to the right
 * listener (use_original_dst) and filter chain, and replaces listeners in place on LDS updates
 * while the old version drains.
 */
export class ListenerManager {
  private readonly listeners = new Map<string, ActiveListener>();
  /** New listeners waiting for their secrets before they bind (Envoy's warming). */
  private readonly pending = new Map<string, { version: ListenerVersion; isStatic: boolean }>();
  /** Every listener (bound or not) by "ip:port", for the original-destination hand-off. */
  private readonly byAddress = new Map<string, ActiveListener>();
  private readonly context: FilterFactoryContext;
  private readonly stats: StatsStore;
  private readonly log: Logger;
  private readonly drainMs: number;
  ldsVersion = '';
  private activeConnections = 0;
  /** Every accepted connection, of current and draining listeners alike (closed at shutdown). */
  private readonly open = new Set<Socket>();
  /** Connections whose first bytes the listener filters are still reading. */
  private readonly inspecting = new Set<Socket>();
  private idleWaiters: (() => void)[] = [];

  private readonly reusePort: boolean;
  private readonly secrets: SecretProvider;

  constructor(context: FilterFactoryContext, secrets: SecretProvider, drainMs: number, reusePort = false) {
    this.reusePort = reusePort;
    this.secrets = secrets;
    this.context = context;
    this.stats = context.stats;
    this.log = context.log;
    this.drainMs = drainMs;
  }

  /** No new listener is waiting for its secrets. */
  get warmed(): boolean {
    return this.pending.size === 0;
  }

  /** Active listeners (`version` serving, `warming` waiting), and new ones still warming. */
  entries(): { name: string; isStatic: boolean; version: ListenerVersion | undefined; warming: ListenerVersion | undefined; boundPort: number | undefined }[] {
    const active = [...this.listeners].map(([name, l]) => {
      const address = l.server?.address();
      return { name, isStatic: l.isStatic, version: l.current as ListenerVersion | undefined, warming: l.warming, boundPort: typeof address === 'object' && address ? address.port : undefined };
    });
    const waiting = [...this.pending].map(([name, p]) => ({ name, isStatic: p.isStatic, version: undefined, warming: p.version, boundPort: undefined }));
    return [...active, ...waiting];
  }

  async addStatic(resources: JsonObject[]): Promise<void> {
    const configs = this.compileAll(resources.map((json, index) => ({ json, index })), 'static_resources.listeners');
    for (const config of configs) await this.add(config, true, '');
  }

  /** The newest version of a listener: warming, serving, or waiting to bind. */
  private latest(name: string): ListenerVersion | undefined {
    const existing = this.listeners.get(name);
    return existing?.warming ?? existing?.current ?? this.pending.get(name)?.version;
  }

  /** Applies an LDS response (the full set). Throws, changing nothing, if a listener is bad.
   *  Listeners whose resource did not change are left exactly as they are. */
  async applyLds(resources: JsonObject[], version: string): Promise<void> {
    const names = new Set<string>();
    resources.forEach((r, i) => {
      const name = typeof r.name === 'string' ? r.name : '';
      if (name === '') throw new ConfigError(`Listener[${i}].name`, 'required');
      if (names.has(name)) throw new ConfigError(`Listener "${name}"`, 'duplicate listener name');
      if (this.listeners.get(name)?.isStatic) throw new ConfigError(`Listener "${name}"`, 'a static listener of that name exists');
      names.add(name);
    });
    const changed = resources.map((json, index) => ({ json, index })).filter(({ json }) => {
      const latest = this.latest(json.name as string);
      return !(latest && sameJson(latest.config.json, json));
    });
    const configs = this.compileAll(changed, 'Listener');
    for (const [name, listener] of this.listeners) {
      if (!listener.isStatic && !names.has(name)) this.remove(name, listener);
    }
    for (const [name, p] of this.pending) if (!p.isStatic && !names.has(name)) this.pending.delete(name);
    const failures: string[] = [];
    for (const config of configs) {
      try {
        await this.add(config, false, version);
      } catch (err) {
        failures.push(`Listener "${config.config.name}": ${(err as Error).message}`);
      }
    }
    this.ldsVersion = version;
    if (failures.length > 0) {
      this.stats.counter('listener_manager.lds.update_rejected').inc();
      throw new Error(failures.join('; '));
    }
    this.stats.counter('listener_manager.lds.update_success').inc();
    this.stats.gauge('listener_manager.total_listeners_active').set(this.listeners.size);
  }

  /** Builds each listener, noting which RDS route configurations and SDS secrets it subscribed to. */
  private compileAll(resources: { json: JsonObject; index: number }[], path: string): CompiledListener[] {
    const compiled = resources.map(({ json, index }) => {
      const routes: RouteConfigHandle[] = [];
      const secrets: SecretHandle[] = [];
      const provider = this.context.routeConfigs;
      const context = { ...this.context, routeConfigs: { subscribe: (name: string) => {
        const handle = provider.subscribe(name);
        routes.push(handle);
        return handle;
      } } };
      const secretProvider = { subscribe: (...args: Parameters<SecretProvider['subscribe']>) => {
        const handle = this.secrets.subscribe(...args);
        secrets.push(handle);
        return handle;
      } };
      return { config: compileListener(json, context, secretProvider, `${path}[${index}]`), routes, secrets };
    });
    const seen = new Set<string>();
    for (const { config: c } of compiled) {
      if (seen.has(c.name)) throw new ConfigError(`${path} "${c.name}"`, 'duplicate listener name');
      seen.add(c.name);
    }
    return compiled;
  }

  /** Route configurations or secrets arrived: new listeners waiting for their secrets bind, and
   *  replacements that were waiting take over. */
  async onDependenciesUpdated(): Promise<void> {
    for (const [name, waiting] of [...this.pending]) {
      if (!waiting.version.secretsReady) continue;
      this.pending.delete(name);
      try {
        await this.add(waiting.version, waiting.isStatic, waiting.version.version);
      } catch (err) {
        this.log.error(`listener ${name}: ${(err as Error).message}`);
      }
    }
    for (const listener of this.listeners.values()) {
      const warming = listener.warming;
      if (!warming?.warm) continue;
      listener.warming = undefined;
      const old = listener.current;
      listener.current = warming;
      old.drain(this.drainMs);
      this.log.info(`listener ${warming.config.name} warmed`);
    }
  }

  private async add(compiled: CompiledListener | ListenerVersion, isStatic: boolean, version: string): Promise<void> {
    const next = compiled instanceof ListenerVersion ? compiled : new ListenerVersion(compiled, this.stats, version);
    const config = next.config;
    const existing = this.listeners.get(config.name);
    if (!existing && !next.secretsReady) {
      // A brand-new listener cannot terminate TLS without its certificates: it binds once they arrive.
      this.pending.set(config.name, { version: next, isStatic });
      this.log.info(`listener ${config.name} waits for its secrets`);
      return;
    }
    const key = hostKey(config.address, config.port);
    if (existing && existing.current.config.address === config.address && existing.current.config.port === config.port
      && existing.current.config.bindToPort === config.bindToPort) {
      // Same socket: new connections get the new filter chains, old ones drain. A version
      // whose routes have not arrived yet waits, and the current one keeps serving.
      existing.warming?.drain(0);
      existing.warming = undefined;
      if (!next.warm) {
        existing.warming = next;
        return;
      }
      const old = existing.current;
      existing.current = next;
      old.drain(this.drainMs);
      return;
    }
    const occupant = this.byAddress.get(key);
    if (occupant && occupant !== existing) throw new ConfigError(`Listener "${config.name}".address`, `${key} is already used by another listener`);
    let server: Server | undefined;
    const listener: ActiveListener = { current: next, warming: undefined, server: undefined, isStatic };
    if (config.bindToPort) {
      server = createServer({ noDelay: true });
      server.on('connection', (socket) => this.onConnection(listener, socket));
      await listen(server, config.address, config.port, this.reusePort);
      listener.server = server;
      server.on('error', (err) => this.log.error(`listener ${config.name}: ${err.message}`));
    }
    if (existing) this.remove(config.name, existing);
    this.listeners.set(config.name, listener);
    this.byAddress.set(key, listener);
    this.log.info(`listener ${config.name} on ${key}${config.bindToPort ? '' : ' (not bound)'}`);
  }

  private remove(name: string, listener: ActiveListener): void {
    this.listeners.delete(name);
    listener.warming?.drain(0);
    const config = listener.current.config;
    const key = hostKey(config.address, config.port);
    if (this.byAddress.get(key) === listener) this.byAddress.delete(key);
    listener.server?.close();
    listener.current.drain(this.drainMs);
  }

  private onConnection(listener: ActiveListener, socket: Socket): void {
    socket.on('error', () => {});
    const destination = listener.current.config.readsOriginalDst
      ? this.originalDestinationOf(listener.current, socket)
      : localDestination(socket);
    if (!destination) {
      socket.destroy();
      return;
    }
    const { address: destinationAddress, port: destinationPort } = destination;
    let target = listener;
    if (listener.current.config.useOriginalDst) {
      const handoff = this.byAddress.get(hostKey(destinationAddress, destinationPort))
        ?? this.byAddress.get(hostKey('0.0.0.0', destinationPort))
        ?? this.byAddress.get(hostKey('::', destinationPort));
      if (handoff) target = handoff;
    }
    // Listener filters of the listener that accepted, then of the one it hands off to.
    const accepting = listener.current.config;
    const inspectors = target === listener ? accepting.inspectors : [...accepting.inspectors, ...target.current.config.inspectors];
    if (inspectors.length === 0) {
      this.dispatch(target, socket, destination, NOT_INSPECTED);
      return;
    }
    this.inspecting.add(socket);
    void this.inspect(socket, inspectors, destination.port, listener.current).then((info) => {
      this.inspecting.delete(socket);
      if (info && !socket.destroyed) this.dispatch(target, socket, destination, info);
      else socket.destroy();
    });
  }

  /** Runs the listener filters within listener_filters_timeout; undefined when the connection
   *  is to be closed (the client left, or was too slow and the listener does not continue). */
  private async inspect(socket: Socket, inspectors: Inspector[], destinationPort: number, accepting: ListenerVersion): Promise<ConnectionInfo | undefined> {
    const info: ConnectionInfo = { transportProtocol: '', serverName: '', applicationProtocols: [] };
    const { inspectTimeoutMs, continueOnInspectTimeout } = accepting.config;
    const deadline = Date.now() + (inspectTimeoutMs || NO_TIMEOUT_MS);
    for (const inspector of inspectors) {
      if (inspector.disabled({ destinationPort })) continue;
      let outcome;
      try {
        outcome = await inspector.filter.onAccept(socket, info, Math.max(1, Math.min(NO_TIMEOUT_MS, deadline - Date.now())));
      } catch (err) {
        this.log.error(`listener ${accepting.config.name}: listener filter failed: ${(err as Error).message}`);
        return undefined;
      }
      if (outcome === 'closed') return undefined;
      if (outcome === 'timeout') {
        accepting.preCxTimeout.inc();
        return continueOnInspectTimeout ? info : undefined;
      }
    }
    return info;
  }

  /** Picks the filter chain of `target` for the connection and starts it. */
  private dispatch(target: ActiveListener, socket: Socket, destination: Destination, info: ConnectionInfo): void {
    const version = target.current;
    const facts = {
      destinationAddress: destination.address, destinationPort: destination.port, sourceAddress: plainAddress(socket.remoteAddress),
      transportProtocol: info.transportProtocol, serverName: info.serverName, applicationProtocols: info.applicationProtocols,
    };
    const chain = selectFilterChain(version.config.chains, facts) ?? version.config.defaultChain;
    if (!chain) {
      version.noChain.inc();
      socket.destroy();
      return;
    }
    version.cxTotal.inc();
    version.cxActive.inc();
    version.connections.add(socket);
    this.activeConnections++;
    this.open.add(socket);
    socket.once('close', () => {
      version.cxActive.dec();
      version.connections.delete(socket);
      this.open.delete(socket);
      if (--this.activeConnections === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
    if (chain.tls) chain.tls.accept(socket, (tls) => this.startChain(version, chain, tls, destination));
    else this.startChain(version, chain, socket, destination);
  }

  /** Hands the connection (TLS already terminated when the chain asks for it) to the chain's filter. */
  private startChain(version: ListenerVersion, chain: FilterChain, socket: Socket, destination: Destination): void {
    try {
      chain.filter.onNewConnection({ socket, originalDstAddress: destination.address, originalDstPort: destination.port });
    } catch (err) {
      this.log.error(`listener ${version.config.name}: ${(err as Error).stack ?? err}`);
      socket.destroy();
    }
  }

  /** Where a captured connection was going (SO_ORIGINAL_DST). A connection conntrack does not
   *  know was made straight to the listener (no NAT here), so its local address is the answer.
   *  Any other failure is counted and logged, and the caller closes the connection. */
  private originalDestinationOf(version: ListenerVersion, socket: Socket): { address: string; port: number } | undefined {
    try {
      const { address, port } = originalDestination(socket);
      return { address, port };
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return localDestination(socket);
      version.originalDstFailed.inc();
      this.log.error(`listener ${version.config.name}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Resolves once no accepted connection is open. */
  whenIdle(): Promise<void> {
    if (this.activeConnections === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops accepting and drains every listener (shutdown). */
  drainAll(): void {
    for (const [name, listener] of this.listeners) this.remove(name, listener);
  }

  /** Closes every listener and connection, draining ones included; resolves once each
   *  connection has closed, so its streams have ended (and written their access logs). */
  async close(): Promise<void> {
    const listeners = [...this.listeners.values()];
    for (const socket of this.open) socket.destroy();
    for (const socket of this.inspecting) socket.destroy();
    const servers = listeners.map((l) => l.server).filter((s): s is Server => s !== undefined);
    this.listeners.clear();
    this.byAddress.clear();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await this.whenIdle();
  }
}
