import { connect as connectTcp, Socket } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import type { Logger } from '@mizzen/filters';
import { sanAccepted } from './san-matcher.ts';
import type { SecretProvider } from './secret-store.ts';
import { SecureContextSource } from './secure-context.ts';
import { alpnProtocols, type UpstreamTlsConfig } from './tls-context.ts';
import type { TlsStats } from './tls-stats.ts';

/** How a cluster opens connections when its transport is not plain TCP. A TLS socket carries
 *  bytes once it emits `secureConnect`, a plain one once it emits `connect`. */
export interface UpstreamTransport {
  /** Every secret it needs has arrived (the cluster warms until then). */
  readonly ready: boolean;
  connect(options: { host: string; port: number; localAddress: string | undefined }): Socket;
  /** The cluster's endpoints changed (a transport that chooses by endpoint metadata listens). */
  onEndpoints?(endpoints: readonly { address: string; port: number; transportMatch?: { [key: string]: unknown } }[]): void;
}

/**
 * A cluster's TLS transport socket (UpstreamTlsContext): SNI, ALPN, a client certificate for
 * mutual TLS, and the server's certificate checked against the trusted CA and SAN matchers.
 * Without a trusted CA the server is not verified, as in Envoy.
 */
export class UpstreamTls implements UpstreamTransport {
  readonly source: SecureContextSource;
  private readonly config: UpstreamTlsConfig;
  private readonly stats: TlsStats;
  private readonly log: Logger;

  constructor(config: UpstreamTlsConfig, secrets: SecretProvider, stats: TlsStats, log: Logger, path: string) {
    this.config = config;
    this.source = new SecureContextSource(config, secrets, path);
    this.stats = stats;
    this.log = log;
  }

  get ready(): boolean {
    return this.source.ready;
  }

  connect(options: { host: string; port: number; localAddress: string | undefined }): Socket {
    const current = this.source.forConnection(this.log);
    if (!current) return failedSocket(new Error('TLS secrets are not available'));
    const validation = current.validation;
    const verify = validation?.trustedCa !== undefined && !validation.acceptUntrusted;
    const socket: TLSSocket = connect({
      socket: connectTcp({ host: options.host, port: options.port, localAddress: options.localAddress, noDelay: true }),
      secureContext: current.context,
      servername: this.config.sni,
      ALPNProtocols: alpnProtocols(this.config),
      rejectUnauthorized: verify,
      // Envoy checks the SAN matchers, not the host name.
      checkServerIdentity: (_host, cert) => {
        if (!validation || sanAccepted(validation.sanMatchers, cert.subjectaltname)) return undefined;
        this.stats.failVerifySan.inc();
        return new Error(`no subject alternative name of the server certificate matches (${cert.subjectaltname ?? 'none'})`);
      },
    });
    socket.once('secureConnect', () => this.stats.handshake.inc());
    socket.on('error', () => this.stats.connectionError.inc());
    return socket;
  }
}

/** A socket that fails at once, so the pool reports a connection failure as for any other. */
function failedSocket(error: Error): Socket {
  const socket = new Socket();
  process.nextTick(() => socket.destroy(error));
  return socket;
}
