import type { Socket } from 'node:net';
import { compileAccessLogs, writeAccessLogs, type AccessLog } from '../../access-log/access-log-config.ts';
import { TcpStreamInfo } from '../../access-log/stream-info.ts';
import { OVERFLOW, type ClusterManager, type PoolCallbacks, type PooledConnection } from '../../cluster-manager.ts';
import { onlyFields, optionalArray, optionalDurationMs, requiredString, type JsonObject } from '../../config-reader.ts';
import { registerNetworkFilter, type DownstreamConnection, type FilterFactoryContext, type Logger, type NetworkFilter } from '../../registry.ts';
import { ResponseFlag } from '../../response-flags.ts';
import type { Counter, Gauge } from '../../stats.ts';
import { compileTcpHashPolicy, connectionHashKey, type TcpHashPolicy } from './tcp-hash-policy.ts';
import { pickCluster, tcpProxyClusters, type WeightedCluster } from './weighted-clusters.ts';

export const TCP_PROXY_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

// Envoy's default idle timeout for tcp_proxy.
const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;

interface TcpProxyConfig {
  readonly clusters: readonly WeightedCluster[];
  /** hash_policy: the key RING_HASH and MAGLEV clusters pick by. */
  readonly hashPolicy: readonly TcpHashPolicy[];
  readonly idleTimeoutMs: number;
  readonly cxTotal: Counter;
  readonly cxNoRoute: Counter;
  readonly cxActive: Gauge;
  readonly accessLogs: readonly AccessLog[];
}

/** One proxied connection: waits for the upstream, then pipes bytes both ways, recording what
 *  happened in its StreamInfo for access logs. */
class TcpSession implements PoolCallbacks {
  private readonly downstream: Socket;
  private readonly config: TcpProxyConfig;
  private upstream: Socket | undefined;
  private pending: { cancel(): void } | undefined;
  private logged = false;
  private readonly info: TcpStreamInfo;

  constructor(connection: DownstreamConnection, config: TcpProxyConfig) {
    const downstream = connection.socket;
    this.info = new TcpStreamInfo(connection);
    this.downstream = downstream;
    this.config = config;
    config.cxTotal.inc();
    config.cxActive.inc();
    downstream.pause();
    downstream.on('error', () => this.close());
    downstream.on('close', () => {
      config.cxActive.dec();
      this.close();
    });
  }

  start(clusters: ClusterManager, connection: DownstreamConnection): void {
    const name = pickCluster(this.config.clusters);
    const cluster = clusters.getCluster(name);
    const hashKey = connectionHashKey(this.config.hashPolicy, connection.socket);
    const host = cluster?.chooseHost({ originalDstAddress: connection.originalDstAddress, originalDstPort: connection.originalDstPort, hashKey });
    this.info.upstreamCluster = name;
    this.info.upstreamHost = host;
    if (cluster === undefined || host === undefined) {
      if (cluster) cluster.stats.upstreamCxNoneHealthy.inc();
      else this.config.cxNoRoute.inc();
      this.info.responseFlags |= cluster ? ResponseFlag.UH : ResponseFlag.NR;
      this.downstream.destroy();
      return;
    }
    this.pending = cluster.connect(host, this);
  }

  onPoolReady(connection: PooledConnection): void {
    this.pending = undefined;
    const upstream = connection.socket;
    this.upstream = upstream;
    this.info.upstreamSocket = upstream;
    if (this.downstream.destroyed) {
      upstream.destroy();
      return;
    }
    upstream.on('error', () => this.close());
    upstream.on('close', () => this.close());
    const idle = this.config.idleTimeoutMs;
    if (idle > 0) {
      // Idle means neither side moved a byte; either socket's timer firing is enough.
      this.downstream.setTimeout(idle, () => this.close());
      upstream.setTimeout(idle, () => this.close());
    }
    if (this.config.accessLogs.length !== 0) {
      const info = this.info;
      this.downstream.on('data', (d: Buffer) => (info.bytesReceived += d.length));
      upstream.on('data', (d: Buffer) => (info.bytesSent += d.length));
    }
    this.downstream.pipe(upstream);
    upstream.pipe(this.downstream);
    this.downstream.resume();
  }

  onPoolFailure(reason: string): void {
    this.pending = undefined;
    if (reason === OVERFLOW) this.info.responseFlags |= ResponseFlag.UO;
    else {
      this.info.responseFlags |= ResponseFlag.UF;
      this.info.upstreamTransportFailureReason = reason;
    }
    this.downstream.destroy();
  }

  close(): void {
    this.pending?.cancel();
    this.pending = undefined;
    this.downstream.destroy();
    this.upstream?.destroy();
    if (!this.logged && this.config.accessLogs.length !== 0) {
      this.logged = true;
      this.info.endTime = performance.now();
      writeAccessLogs(this.config.accessLogs, this.info);
    }
  }
}

/** envoy.filters.network.tcp_proxy: forwards the connection's bytes to a cluster. */
class TcpProxy implements NetworkFilter {
  private readonly config: TcpProxyConfig;
  private readonly clusters: ClusterManager;
  private readonly log: Logger;

  constructor(config: TcpProxyConfig, clusters: ClusterManager, log: Logger) {
    this.config = config;
    this.clusters = clusters;
    this.log = log;
  }

  onNewConnection(connection: DownstreamConnection): void {
    try {
      new TcpSession(connection, this.config).start(this.clusters, connection);
    } catch (err) {
      this.log.error(`tcp_proxy: ${(err as Error).message}`);
      connection.socket.destroy();
    }
  }

  /** Proxied connections have no request boundary to stop at; the listener closes what is left
   *  when its drain time ends. */
  drain(): void {}
}

export function createTcpProxy(obj: JsonObject, context: FilterFactoryContext, path: string): NetworkFilter {
  onlyFields(obj, path, ['@type', 'stat_prefix', 'cluster', 'weighted_clusters', 'idle_timeout', 'access_log', 'hash_policy']);
  const prefix = `tcp.${requiredString(obj, 'stat_prefix', path)}.`;
  const config: TcpProxyConfig = {
    clusters: tcpProxyClusters(obj, path),
    hashPolicy: compileTcpHashPolicy(obj, path),
    idleTimeoutMs: optionalDurationMs(obj, 'idle_timeout', path) ?? DEFAULT_IDLE_TIMEOUT_MS,
    cxTotal: context.stats.counter(`${prefix}downstream_cx_total`),
    cxNoRoute: context.stats.counter(`${prefix}downstream_cx_no_route`),
    cxActive: context.stats.gauge(`${prefix}downstream_cx_active`),
    accessLogs: compileAccessLogs(optionalArray(obj, 'access_log', path), `${path}.access_log`),
  };
  return new TcpProxy(config, context.clusterManager, context.log);
}

registerNetworkFilter(TCP_PROXY_TYPE_URL, createTcpProxy);
