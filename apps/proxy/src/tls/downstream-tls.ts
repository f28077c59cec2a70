import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from '@mizzen/filters';
import { verifyPeer } from './peer-verification.ts';
import type { SecretProvider } from './secret-store.ts';
import { SecureContextSource } from './secure-context.ts';
import { alpnProtocols, type DownstreamTlsConfig } from './tls-context.ts';
import type { TlsStats } from './tls-stats.ts';

/** A filter chain's TLS transport socket: terminates TLS on accepted connections. */
export class DownstreamTls {
  readonly source: SecureContextSource;
  private readonly config: DownstreamTlsConfig;
  private readonly stats: TlsStats;
  private readonly log: Logger;

  constructor(config: DownstreamTlsConfig, secrets: SecretProvider, stats: TlsStats, log: Logger, path: string) {
    this.config = config;
    this.source = new SecureContextSource(config, secrets, path);
    this.stats = stats;
    this.log = log;
  }

  /**
   * Runs the server handshake over `socket` (bytes a listener filter peeked are still there)
   * and checks the client; `onReady` gets the TLS socket, or the connection is closed.
   */
  accept(socket: Socket, onReady: (tls: TLSSocket) => void): void {
    const current = this.source.forConnection(this.log);
    if (!current) {
      this.stats.connectionError.inc();
      socket.destroy();
      return;
    }
    const validation = current.validation;
    const tls = new TLSSocket(socket, {
      isServer: true,
      secureContext: current.context,
      requestCert: validation !== undefined,
      // The checks are Envoy's (verifyPeer), made once the handshake is done.
      rejectUnauthorized: false,
      ALPNProtocols: alpnProtocols(this.config),
    });
    tls.on('error', (err) => {
      if (!tls.destroyed) this.log.debug(`TLS: ${err.message}`);
      this.stats.connectionError.inc();
      tls.destroy();
      socket.destroy();
    });
    tls.once('secure', () => {
      const refused = verifyPeer(tls, validation, this.config.requireClientCertificate, this.stats);
      if (refused) {
        this.log.debug(`TLS: ${refused}`);
        tls.destroy();
        socket.destroy();
        return;
      }
      this.stats.handshake.inc();
      onReady(tls);
    });
  }
}
