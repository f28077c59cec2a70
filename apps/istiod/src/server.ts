import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FolderSource, KubeSource } from '@mizzen/config';
import { AdsServer } from '@mizzen/xds';
import { createDebugServer } from './debug/debug-server.ts';
import { splitHostPort } from './host-port.ts';
import { DiscoveryServer, type Log } from './xds/discovery-server.ts';

export interface IstiodOptions {
  /** Folders of YAML to serve; with none, the Kubernetes API (kubeconfig, or in-cluster). */
  configDirs: string[];
  kubeconfig?: string;
  /** "host:port"; port 0 picks a free one. */
  xdsAddress: string;
  httpAddress: string;
  log?: Log;
  debounceMs?: number;
}

export interface Istiod {
  xdsPort: number;
  httpPort: number;
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
  const discovery = new DiscoveryServer(source.store, { log, debounceMs: options.debounceMs });
  const ads = new AdsServer(discovery);
  discovery.setPusher((streamId, typeUrl, resources, version) => ads.push(streamId, typeUrl, resources, version));
  const debug = createDebugServer({ store: source.store, configErrors: () => source.errors(), discovery });
  try {
    const xdsPort = await ads.listen(options.xdsAddress);
    const httpPort = await listenHttp(debug, options.httpAddress);
    log(`istiod: xDS on ${options.xdsAddress.replace(/:\d+$/, `:${xdsPort}`)}, debug on ${options.httpAddress.replace(/:\d+$/, `:${httpPort}`)}, config from ${configFrom}`);
    return {
      xdsPort,
      httpPort,
      discovery,
      source,
      async close() {
        source.close();
        discovery.close();
        await ads.close();
        await new Promise<void>((resolve) => debug.close(() => resolve()));
        debug.closeAllConnections();
      },
    };
  } catch (error) {
    source.close();
    discovery.close();
    await ads.close();
    debug.close();
    throw error;
  }
}

function listenHttp(server: Server, address: string): Promise<number> {
  const { host, port } = splitHostPort(address);
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`cannot listen on ${address}: ${error.message}`)));
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
