import type { JsonObject } from '../../config-reader.ts';
import { registerNetworkFilter, type DownstreamConnection, type FilterFactoryContext, type Logger, type NetworkFilter } from '../../registry.ts';
import { compileConnectionManagerConfig, HTTP_CONNECTION_MANAGER_TYPE_URL, type ConnectionManagerConfig } from './connection-manager-config.ts';
import { Http1ServerConnection, type ConnectionRegistry } from './http1-server-connection.ts';

/** envoy.filters.network.http_connection_manager: terminates HTTP/1.1 and runs the HTTP filters. */
export class HttpConnectionManager implements NetworkFilter, ConnectionRegistry {
  readonly config: ConnectionManagerConfig;
  readonly log: Logger;
  draining = false;
  private readonly connections = new Set<Http1ServerConnection>();

  constructor(config: ConnectionManagerConfig, log: Logger) {
    this.config = config;
    this.log = log;
  }

  onNewConnection(connection: DownstreamConnection): void {
    this.connections.add(new Http1ServerConnection(this, connection));
  }

  remove(connection: Http1ServerConnection): void {
    this.connections.delete(connection);
  }

  drain(): void {
    this.draining = true;
    for (const c of this.connections) c.drain();
  }
}

export function createHttpConnectionManager(config: JsonObject, context: FilterFactoryContext, path: string): HttpConnectionManager {
  return new HttpConnectionManager(compileConnectionManagerConfig(config, context, path), context.log);
}

registerNetworkFilter(HTTP_CONNECTION_MANAGER_TYPE_URL, createHttpConnectionManager);
