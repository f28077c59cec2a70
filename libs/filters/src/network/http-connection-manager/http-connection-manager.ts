import type { JsonObject } from '../../config-reader.ts';
import { registerNetworkFilter, type DownstreamConnection, type FilterFactoryContext, type Logger, type NetworkFilter } from '../../registry.ts';
import { codecFromAlpn, sniffCodec } from './codec-selection.ts';
import { compileConnectionManagerConfig, HTTP_CONNECTION_MANAGER_TYPE_URL, type CodecType, type ConnectionManagerConfig } from './connection-manager-config.ts';
import { Http1ServerConnection, type ConnectionRegistry } from './http1-server-connection.ts';
import { Http2ServerConnection } from './http2-server-connection.ts';

/** envoy.filters.network.http_connection_manager: terminates HTTP/1.1 and HTTP/2 (the codec
 *  chosen per connection, as codec_type says) and runs the HTTP filters. */
export class HttpConnectionManager implements NetworkFilter, ConnectionRegistry {
  readonly config: ConnectionManagerConfig;
  readonly log: Logger;
  draining = false;
  private readonly connections = new Set<Http1ServerConnection | Http2ServerConnection>();

  constructor(config: ConnectionManagerConfig, log: Logger) {
    this.config = config;
    this.log = log;
  }

  onNewConnection(connection: DownstreamConnection): void {
    const forced = this.config.codecType;
    const codec = forced === 'AUTO' ? codecFromAlpn(connection.socket) : forced;
    if (codec !== undefined) this.start(codec, connection);
    else sniffCodec(connection.socket, this.config.idleTimeoutMs, (sniffed) => this.start(sniffed, connection));
  }

  private start(codec: Exclude<CodecType, 'AUTO'>, connection: DownstreamConnection): void {
    if (connection.socket.destroyed) return;
    if (codec === 'HTTP2') {
      this.connections.add(new Http2ServerConnection(this, connection));
      return;
    }
    this.connections.add(new Http1ServerConnection(this, connection));
    // After sniffing, the first bytes wait in the paused socket.
    connection.socket.resume();
  }

  remove(connection: Http1ServerConnection | Http2ServerConnection): void {
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
