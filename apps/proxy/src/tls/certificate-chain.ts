import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import { ConfigError } from '@mizzen/filters';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle (a trusted_ca); throws naming the field when one does not parse. */
export function parseCertificates(pem: string, path: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new ConfigError(path, 'holds no PEM certificate');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new ConfigError(path, `certificate ${i}: ${(err as Error).message}`);
    }
  });
}

function withinValidity(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** The peer's chain as it sent it: leaf first, then each issuer it included. */
function peerChain(peer: DetailedPeerCertificate | PeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = peer as DetailedPeerCertificate;
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * Checks that the peer's certificate leads to a trusted CA: each certificate in date and
 * signed by the next one it sent (which must be a CA), until one is signed by (or is) a
 * trusted certificate. Returns why not, or undefined.
 */
export function untrustedReason(peer: DetailedPeerCertificate, trusted: readonly X509Certificate[], now = Date.now()): string | undefined {
  const chain = peerChain(peer);
  if (chain.length === 0) return 'no certificate';
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i];
    if (!withinValidity(cert, now)) return `certificate ${cert.subject.replace(/\n/g, ', ')} is not valid now`;
    if (trusted.some((t) => t.fingerprint256 === cert.fingerprint256 || signedBy(cert, t))) return undefined;
    const next = chain[i + 1];
    if (!next || !next.ca || !signedBy(cert, next)) break;
  }
  return 'the certificate chain does not lead to a trusted CA';
}
