import type { TLSSocket } from 'node:tls';
import { untrustedReason } from './certificate-chain.ts';
import { sanAccepted } from './san-matcher.ts';
import type { TlsStats } from './tls-stats.ts';
import type { ValidationContext } from './tls-context.ts';

/**
 * Checks the peer of a finished handshake as Envoy does: no validation context accepts anyone;
 * otherwise the certificate must chain to the trusted CA (when one is given) and carry a SAN
 * the matchers accept. Returns the reason to refuse, or undefined. Counts the outcome.
 */
export function verifyPeer(socket: TLSSocket, validation: ValidationContext | undefined, required: boolean, stats: TlsStats): string | undefined {
  const peer = socket.getPeerCertificate(true);
  const presented = peer !== null && Object.keys(peer).length > 0;
  if (!presented) {
    stats.noCertificate.inc();
    if (required) {
      stats.failVerifyNoCert.inc();
      return 'the peer presented no certificate';
    }
    return undefined;
  }
  if (!validation) return undefined;
  // Checked here rather than by OpenSSL: a TLSSocket made outside a tls.Server reports no
  // verification result on the server side.
  const untrusted = validation.trustedCa !== undefined && !validation.acceptUntrusted ? untrustedReason(peer, validation.trustedCerts) : undefined;
  if (untrusted) {
    stats.failVerifyError.inc();
    return `the peer certificate is not trusted: ${untrusted}`;
  }
  if (!sanAccepted(validation.sanMatchers, peer.subjectaltname)) {
    stats.failVerifySan.inc();
    return `no subject alternative name of the peer certificate matches (${peer.subjectaltname ?? 'none'})`;
  }
  return undefined;
}
