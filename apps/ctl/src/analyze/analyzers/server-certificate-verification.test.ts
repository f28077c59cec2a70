import { describe, expect, it } from 'vitest';
import { load } from './analyzer-fixtures.ts';
import { serverCertificateVerification } from './server-certificate-verification.ts';

const rule = (trafficPolicy: string): string => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: api }
spec:
  host: api.example.com
  trafficPolicy:
${trafficPolicy}
`;

describe('serverCertificateVerification', () => {
  it('reports SIMPLE TLS without a CA for the host (IST0128) and for a port (IST0129), at their lines', () => {
    const objects = load(rule('    tls: { mode: SIMPLE }\n    portLevelSettings:\n      - port: { number: 8443 }\n        tls:\n          mode: MUTUAL'));
    expect(serverCertificateVerification(objects)).toMatchObject([
      { level: 'Error', code: 'IST0128', line: 8, text: 'DestinationRule api in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: api.example.com' },
      { level: 'Error', code: 'IST0129', line: 12, text: expect.stringContaining('TLS mode set to MUTUAL but no caCertificates are set to validate server identity for host: api.example.com at port 8443') },
    ]);
  });

  it('accepts a CA, a credential, a deliberate skip, and mesh TLS', () => {
    for (const tls of ['{ mode: SIMPLE, caCertificates: /etc/ca.pem }', '{ mode: SIMPLE, credentialName: api-ca }', '{ mode: SIMPLE, insecureSkipVerify: true }', '{ mode: ISTIO_MUTUAL }']) {
      expect(serverCertificateVerification(load(rule(`    tls: ${tls}`)))).toEqual([]);
    }
  });
});
