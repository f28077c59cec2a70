import { connect, type Socket } from 'node:net';
import type { ClusterStats, ConnectionHandler, PoolCallbacks, PooledConnection } from '@mizzen/filters';
import type { UpstreamTransport } from '../tls/upstream-tls.ts';
import type { Host } from './upstream-host.ts';

export interface ConnectOptions {
  readonly connectTimeoutMs: number;
  readonly sourceAddress: string | undefined;
  readonly keepaliveSeconds: number;
  readonly stats: ClusterStats;
  /** The cluster's transport socket (TLS) when it is not plain TCP. */
  readonly transport?: UpstreamTransport;
}

/** One upstream TCP connection. Its socket listeners are installed once and forward to
 *  whoever holds it now (`handler`), so a request borrowing it allocates no closures. */
export class UpstreamConnection implements PooledConnection {
  readonly socket: Socket;
  readonly host: Host;
  reused = false;
  handler: ConnectionHandler | undefined;
  /** Requests it carried (max_requests_per_connection). */
  requests = 0;
  /** The pool's idle sweep count when it last went idle (idle_timeout). */
  idleSweep = 0;
  /** performance.now() at connect, when max_connection_duration applies. */
  createdAt = 0;
  private callbacks: PoolCallbacks | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private readonly stats: ClusterStats;
  private readonly onClosed: (c: UpstreamConnection) => void;

  /** `pooled` connections carry HTTP/1.1 for whoever borrows them; others are handed over raw
   *  (TCP proxying) and get no data listener here. */
  constructor(host: Host, options: ConnectOptions, callbacks: PoolCallbacks, onClosed: (c: UpstreamConnection) => void, pooled: boolean) {
    this.host = host;
    this.stats = options.stats;
    this.callbacks = callbacks;
    this.onClosed = onClosed;
    this.stats.upstreamCxTotal.inc();
    this.stats.upstreamCxActive.inc();
    this.socket = options.transport
      ? options.transport.connect({ host: host.address, port: host.port, localAddress: options.sourceAddress })
      : connect({ host: host.address, port: host.port, localAddress: options.sourceAddress, noDelay: true });
    if (options.keepaliveSeconds > 0) this.socket.setKeepAlive(true, options.keepaliveSeconds * 1000);
    if (options.connectTimeoutMs > 0) this.connectTimer = setTimeout(this.onConnectTimeout, options.connectTimeoutMs);
    // A TLS socket (it has `encrypted`) is ready after its handshake.
    this.socket.once('encrypted' in this.socket ? 'secureConnect' : 'connect', this.onConnect);
    if (pooled) {
      this.stats.upstreamCxHttp1Total.inc();
      this.socket.on('data', this.onData);
      this.socket.on('drain', this.onDrain);
    }
    this.socket.on('error', this.onError);
    this.socket.on('close', this.onClose);
  }

  /** Stops waiting for the connect (the requester went away); the socket is closed. */
  cancel(): void {
    if (!this.callbacks) return;
    this.callbacks = undefined;
    this.socket.destroy();
  }

  private readonly onConnect = (): void => {
    clearTimeout(this.connectTimer);
    const callbacks = this.callbacks;
    this.callbacks = undefined;
    callbacks?.onPoolReady(this);
  };

  private readonly onConnectTimeout = (): void => {
    this.stats.upstreamCxConnectTimeout.inc();
    this.fail('connection timeout');
  };

  private fail(reason: string): void {
    const callbacks = this.callbacks;
    this.callbacks = undefined;
    this.socket.destroy();
    callbacks?.onPoolFailure(reason);
  }

  private readonly onData = (data: Buffer): void => {
    if (this.handler) this.handler.onData(data);
    // Bytes on an idle connection belong to no request: the connection cannot be trusted.
    else this.socket.destroy();
  };

  private readonly onDrain = (): void => {
    this.handler?.onDrain();
  };

  private readonly onError = (err: Error): void => {
    this.failure = err;
  };

  private readonly onClose = (): void => {
    clearTimeout(this.connectTimer);
    this.stats.upstreamCxActive.dec();
    this.onClosed(this);
    if (this.callbacks) {
      this.stats.upstreamCxConnectFail.inc();
      this.fail(this.failure ? `connection failure, transport failure reason: ${this.failure.message}` : 'connection failure');
      return;
    }
    const handler = this.handler;
    this.handler = undefined;
    handler?.onClose(this.failure);
  };
}
