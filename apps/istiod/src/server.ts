import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FolderSource, KubeSource } from '@mizzen/config';
import { createDebugServer } from './debug/debug-server.ts';
import { splitHostPort } from './host-port.ts';
import { createMonitoringServer } from './monitoring/monitoring-server.ts';
import { PilotMetrics } from './monitoring/pilot-metrics.ts';
import { createAdsTransport } from './xds/ads-transport.ts';
import { DiscoveryServer, type Log } from './xds/discovery-server.ts';

export interface IstiodOptions {
  /** Folders of YAML to serve; with none, the Kubernetes API (kubeconfig, or in-cluster). */
  configDirs: string[];
  kubeconfig?: string;
  /** "host:port"; port 0 picks a free one. */
  xdsAddress: string;
  httpAddress: string;
  /** Where to serve /metrics ("host:port"); not served when unset. When `optional`, a port that
   *  cannot be bound is logged and istiod runs without metrics. */
  monitoring?: { address: string; optional?: boolean };
  log?: Log;
  debounceMs?: number;
}

export interface Istiod {
  xdsPort: number;
  httpPort: number;
  /** The /metrics port, when served. */
  monitoringPort?: number;
  metrics: PilotMetrics;
  discovery: DiscoveryServer;
  source: FolderSource | KubeSource;
  close(): Promise<void>;
}

/** Starts istiod: the config folders, the discovery server over ADS, and the debug server. */
export async function startIstiod(options: IstiodOptions): Promise<Istiod> {
  const log = options.log ?? ((message: string) => console.log(message));
  const onError = (error: Error) => log(`config: ${error.message}`);
  const source = options.configDirs.length > 0 ? await FolderSource.open(options.configDirs, { onError }) : await KubeSource.open({ kubeconfig: options.kubeconfig, onError });
  const configFrom = source instanceof FolderSource ? options.configDirs.join(', ') : `the Kubernetes API${options.kubeconfig ? ` (${options.kubeconfig})` : ''}`;
  const metrics = new PilotMetrics(source.store);
  const discovery = new DiscoveryServer(source.store, { log, debounceMs: options.debounceMs, observer: metrics });
  metrics.attach(discovery);
  // State-of-the-world and delta ADS on one port.
  const ads = createAdsTransport(discovery);
  const debug = createDebugServer({ store: source.store, configErrors: () => source.errors(), discovery });
  const monitoring = createMonitoringServer(() => metrics.registry.text());
  try {
    const xdsPort = await ads.listen(options.xdsAddress);
    const httpPort = await listenHttp(debug, options.httpAddress);
    const monitoringPort = options.monitoring ? await listenMonitoring(monitoring, options.monitoring, log) : undefined;
    log(`istiod: xDS on ${options.xdsAddress.replace(/:\d+$/, `:${xdsPort}`)}, debug on ${options.httpAddress.replace(/:\d+$/, `:${httpPort}`)}, config from ${configFrom}`);
    return {
      xdsPort,
      httpPort,
      monitoringPort,
      metrics,
      discovery,
      source,
      async close() {
        source.close();
        discovery.close();
        metrics.close();
        monitoring.close();
        monitoring.closeAllConnections();
        await ads.close();
        await new Promise<void>((resolve) => debug.close(() => resolve()));
        debug.closeAllConnections();
      },
    };
  } catch (error) {
    source.close();
    discovery.close();
    metrics.close();
    await ads.close();
    debug.close();
    monitoring.close();
    throw error;
  }
}

async function listenMonitoring(server: Server, monitoring: { address: string; optional?: boolean }, log: Log): Promise<number | undefined> {
  try {
    const port = await listenHttp(server, monitoring.address);
    log(`istiod: metrics on ${monitoring.address.replace(/:\d+$/, `:${port}`)}/metrics`);
    return port;
  } catch (error) {
    if (!monitoring.optional) throw error;
    log(`istiod: serving no metrics: ${(error as Error).message}`);
    return undefined;
  }
}

function listenHttp(server: Server, address: string): Promise<number> {
  const { host, port } = splitHostPort(address);
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`cannot listen on ${address}: ${error.message}`)));
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
