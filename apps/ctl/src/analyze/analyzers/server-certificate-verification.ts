import type { ClientTLSSettings, DestinationRule } from '@mizzen/config';
import { messageAbout, namespaceOf, ofKind, type AnalysisMessage, type LoadedObject } from '../analysis-message.ts';

/** TLS that originates at the sidecar but cannot check whom it talks to: no CA to verify the
 *  server's certificate with, and verification not turned off on purpose. */
function unverified(tls: ClientTLSSettings | undefined): tls is ClientTLSSettings {
  if (tls?.mode !== 'SIMPLE' && tls?.mode !== 'MUTUAL') return false;
  return tls.caCertificates === undefined && tls.credentialName === undefined && tls.insecureSkipVerify !== true;
}

/** IST0128 for a DestinationRule's TLS settings, IST0129 for a port's, that leave the
 *  server's identity unchecked. */
export function serverCertificateVerification(objects: readonly LoadedObject[]): AnalysisMessage[] {
  return ofKind<DestinationRule>(objects, 'DestinationRule').flatMap(({ loaded, object }) => {
    const policy = object.spec.trafficPolicy;
    const what = `DestinationRule ${object.metadata.name} in namespace ${namespaceOf(object)}`;
    const destinationLevel = unverified(policy?.tls)
      ? [messageAbout(loaded, 'Error', 'IST0128', `${what} has TLS mode set to ${policy?.tls?.mode} but no caCertificates are set to validate server identity for host: ${object.spec.host}`, ['spec', 'trafficPolicy', 'tls', 'mode'])]
      : [];
    const portLevel = (policy?.portLevelSettings ?? []).flatMap((settings, i) =>
      unverified(settings.tls)
        ? [
            messageAbout(
              loaded,
              'Error',
              'IST0129',
              `${what} has TLS mode set to ${settings.tls.mode} but no caCertificates are set to validate server identity for host: ${object.spec.host} at port ${settings.port?.number ?? '(none)'}`,
              ['spec', 'trafficPolicy', 'portLevelSettings', i, 'tls', 'mode'],
            ),
          ]
        : [],
    );
    return [...destinationLevel, ...portLevel];
  });
}
