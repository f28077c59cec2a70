// The credentials a gateway's TLS servers name, served over SDS as Istio's istiod serves them:
// "kubernetes://NAME" is the certificate and key of the Kubernetes Secret NAME in the gateway
// proxy's namespace, "kubernetes://NAME-cacert" its CA bundle (or that of a Secret NAME-cacert).
import type { KubeObject } from '@mizzen/config';
import { isRouter } from '../model/gateways.ts';
import type { Proxy } from '../model/proxy.ts';
import type { PushContext } from '../model/push-context.ts';
import { typeUrls, type JsonObject } from './envoy-json.ts';

const prefix = 'kubernetes://';

/** Secret data (base64, as the API stores it) under Istio's key names, TLS ones first. */
function dataOf(secret: KubeObject | undefined, keys: string[]): string | undefined {
  const data = (secret as { data?: Record<string, string> } | undefined)?.data ?? {};
  return keys.map((k) => data[k]).find((v) => typeof v === 'string' && v !== '');
}

/** The SDS secrets a gateway proxy asked for by name; names it may not have (other prefixes,
 *  missing Secrets, Secrets without the keys) are left out, and a sidecar gets none. */
export function buildGatewaySecrets(push: PushContext, proxy: Proxy, names: string[]): JsonObject[] {
  if (!isRouter(proxy)) return [];
  const secrets = new Map(push.secrets.filter((s) => s.metadata.namespace === proxy.namespace).map((s) => [s.metadata.name, s]));
  const result: JsonObject[] = [];
  for (const name of [...new Set(names)].sort()) {
    if (!name.startsWith(prefix)) continue;
    const credential = name.slice(prefix.length);
    if (credential.endsWith('-cacert')) {
      const base = credential.slice(0, -'-cacert'.length);
      const ca = dataOf(secrets.get(base), ['ca.crt', 'cacert']) ?? dataOf(secrets.get(credential), ['ca.crt', 'cacert']);
      if (ca) result.push({ '@type': typeUrls.secret, name, validation_context: { trusted_ca: { inline_bytes: ca } } });
      continue;
    }
    const secret = secrets.get(credential);
    const cert = dataOf(secret, ['tls.crt', 'cert']);
    const key = dataOf(secret, ['tls.key', 'key']);
    if (cert && key) result.push({ '@type': typeUrls.secret, name, tls_certificate: { certificate_chain: { inline_bytes: cert }, private_key: { inline_bytes: key } } });
  }
  return result;
}
