import type { X509Certificate } from 'node:crypto';
import type { SecureVersion } from 'node:tls';
import {
  ConfigError, asObject, oneOf, onlyFields, optionalArray, optionalBoolean, optionalObject, optionalString, requiredString, type JsonObject,
} from '@mizzen/filters';
import { parseCertificates } from './certificate-chain.ts';
import { readDataSource } from './data-source.ts';
import { compileSdsConfigSource, type SdsSource } from './sds-source.ts';
import { compileTypedSanMatcher, compileUntypedSanMatcher, type SanMatcher } from './san-matcher.ts';

/** A certificate chain and its private key, PEM. */
export interface CertificatePair {
  readonly chain: string;
  readonly key: string;
}

/** How a peer's certificate is checked: the CAs it must chain to, and the SANs it must carry. */
export interface ValidationContext {
  readonly trustedCa: string | undefined;
  /** trustedCa, parsed: the peer's chain must lead to one of these. */
  readonly trustedCerts: readonly X509Certificate[];
  readonly sanMatchers: readonly SanMatcher[];
  /** trust_chain_verification ACCEPT_UNTRUSTED: only the SANs are checked. */
  readonly acceptUntrusted: boolean;
}

/** A CommonTlsContext, checked. Certificates and CAs are either here or named SDS secrets. */
export interface TlsContextConfig {
  readonly certificates: readonly CertificatePair[];
  readonly certificateSecrets: readonly string[];
  readonly validation: ValidationContext | undefined;
  /** A validation_context secret (SDS); merged over `validation` (the combined context's default). */
  readonly validationSecret: string | undefined;
  /** The secrets above that come from a secret server of their own (not ADS), by name. */
  readonly secretSources: Readonly<Record<string, SdsSource>>;
  readonly alpn: readonly string[];
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  readonly ciphers: string | undefined;
  readonly ecdhCurve: string | undefined;
}

export interface DownstreamTlsConfig extends TlsContextConfig {
  readonly requireClientCertificate: boolean;
}

export interface UpstreamTlsConfig extends TlsContextConfig {
  readonly sni: string | undefined;
}

const VERSIONS: Record<string, SecureVersion | undefined> = {
  TLS_AUTO: undefined, TLSv1_0: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3',
};
const VERSION_NAMES = Object.keys(VERSIONS);

export function compileCertificate(value: unknown, path: string): CertificatePair {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['certificate_chain', 'private_key']);
  if (obj.certificate_chain === undefined) throw new ConfigError(`${path}.certificate_chain`, 'required');
  if (obj.private_key === undefined) throw new ConfigError(`${path}.private_key`, 'required');
  return { chain: readDataSource(obj.certificate_chain, `${path}.certificate_chain`), key: readDataSource(obj.private_key, `${path}.private_key`) };
}

export function compileValidationContext(value: unknown, path: string): ValidationContext {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['trusted_ca', 'match_subject_alt_names', 'match_typed_subject_alt_names', 'trust_chain_verification']);
  const trust = oneOf(obj, 'trust_chain_verification', path, ['VERIFY_TRUST_CHAIN', 'ACCEPT_UNTRUSTED'], 'VERIFY_TRUST_CHAIN');
  const trustedCa = obj.trusted_ca === undefined ? undefined : readDataSource(obj.trusted_ca, `${path}.trusted_ca`);
  return {
    trustedCa,
    trustedCerts: trustedCa === undefined ? [] : parseCertificates(trustedCa, `${path}.trusted_ca`),
    sanMatchers: [
      ...optionalArray(obj, 'match_typed_subject_alt_names', path).map((m, i) => compileTypedSanMatcher(m, `${path}.match_typed_subject_alt_names[${i}]`)),
      ...optionalArray(obj, 'match_subject_alt_names', path).map((m, i) => compileUntypedSanMatcher(m, `${path}.match_subject_alt_names[${i}]`)),
    ],
    acceptUntrusted: trust === 'ACCEPT_UNTRUSTED',
  };
}

/** A named secret and where it comes from: over ADS (no source), from the bootstrap's
 *  static_resources.secrets (no sds_config), or from a secret server of its own. */
interface SecretRef {
  readonly name: string;
  readonly source: SdsSource | undefined;
}

/** An SdsSecretConfig, checked. */
function compileSdsSecretConfig(value: unknown, path: string): SecretRef {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['name', 'sds_config']);
  const config = optionalObject(obj, 'sds_config', path);
  const source = config ? compileSdsConfigSource(config, `${path}.sds_config`) : undefined;
  return { name: requiredString(obj, 'name', path), source };
}

/** The sources of the secrets that have one, by name. */
function sourcesOf(refs: readonly (SecretRef | undefined)[]): Record<string, SdsSource> {
  return Object.fromEntries(refs.flatMap((ref) => (ref?.source ? [[ref.name, ref.source]] : [])));
}

function compileTlsParams(obj: JsonObject | undefined, path: string): Pick<TlsContextConfig, 'minVersion' | 'maxVersion' | 'ciphers' | 'ecdhCurve'> {
  const params = obj ?? {};
  onlyFields(params, path, ['tls_minimum_protocol_version', 'tls_maximum_protocol_version', 'cipher_suites', 'ecdh_curves']);
  // Envoy's defaults: TLS 1.2 to 1.3, on both sides.
  const minVersion = VERSIONS[oneOf(params, 'tls_minimum_protocol_version', path, VERSION_NAMES, 'TLS_AUTO')] ?? 'TLSv1.2';
  const maxVersion = VERSIONS[oneOf(params, 'tls_maximum_protocol_version', path, VERSION_NAMES, 'TLS_AUTO')] ?? 'TLSv1.3';
  if (Number(minVersion.slice(5) || 0) > Number(maxVersion.slice(5) || 0)) {
    throw new ConfigError(`${path}.tls_minimum_protocol_version`, `${minVersion} is above the maximum ${maxVersion}`);
  }
  const strings = (key: string): string[] => optionalArray(params, key, path).map((s, i) => {
    if (typeof s !== 'string' || s === '') throw new ConfigError(`${path}.${key}[${i}]`, 'must be a non-empty string');
    return s;
  });
  const ciphers = strings('cipher_suites');
  const curves = strings('ecdh_curves');
  return { minVersion, maxVersion, ciphers: ciphers.length > 0 ? ciphers.join(':') : undefined, ecdhCurve: curves.length > 0 ? curves.join(':') : undefined };
}

export function compileCommonTlsContext(value: unknown, path: string): TlsContextConfig {
  const obj = asObject(value ?? {}, path);
  onlyFields(obj, path, ['tls_params', 'tls_certificates', 'tls_certificate_sds_secret_configs', 'validation_context',
    'validation_context_sds_secret_config', 'combined_validation_context', 'alpn_protocols']);
  let validation = obj.validation_context === undefined ? undefined : compileValidationContext(obj.validation_context, `${path}.validation_context`);
  let validationSecret = obj.validation_context_sds_secret_config === undefined
    ? undefined
    : compileSdsSecretConfig(obj.validation_context_sds_secret_config, `${path}.validation_context_sds_secret_config`);
  const combined = optionalObject(obj, 'combined_validation_context', path);
  if (combined) {
    const cpath = `${path}.combined_validation_context`;
    if (validation || validationSecret) throw new ConfigError(cpath, 'only one of validation_context, validation_context_sds_secret_config, combined_validation_context may be set');
    onlyFields(combined, cpath, ['default_validation_context', 'validation_context_sds_secret_config']);
    validation = compileValidationContext(combined.default_validation_context ?? {}, `${cpath}.default_validation_context`);
    if (combined.validation_context_sds_secret_config === undefined) throw new ConfigError(`${cpath}.validation_context_sds_secret_config`, 'required');
    validationSecret = compileSdsSecretConfig(combined.validation_context_sds_secret_config, `${cpath}.validation_context_sds_secret_config`);
  } else if (validation && validationSecret) {
    throw new ConfigError(`${path}.validation_context_sds_secret_config`, 'only one of validation_context and validation_context_sds_secret_config may be set');
  }
  const certificateSecrets = optionalArray(obj, 'tls_certificate_sds_secret_configs', path)
    .map((s, i) => compileSdsSecretConfig(s, `${path}.tls_certificate_sds_secret_configs[${i}]`));
  return {
    certificates: optionalArray(obj, 'tls_certificates', path).map((c, i) => compileCertificate(c, `${path}.tls_certificates[${i}]`)),
    certificateSecrets: certificateSecrets.map((ref) => ref.name),
    validation,
    validationSecret: validationSecret?.name,
    secretSources: sourcesOf([...certificateSecrets, validationSecret]),
    alpn: optionalArray(obj, 'alpn_protocols', path).map((p, i) => {
      if (typeof p !== 'string' || p === '' || p.length > 255) throw new ConfigError(`${path}.alpn_protocols[${i}]`, 'must be a protocol name of 1 to 255 characters');
      return p;
    }),
    ...compileTlsParams(optionalObject(obj, 'tls_params', path), `${path}.tls_params`),
  };
}

/** What a Downstream- and an UpstreamTlsContext share: their common_tls_context, checked, and
 *  the object for the side's own fields (`fields`). */
function compileSideContext(value: unknown, path: string, fields: readonly string[]): { obj: JsonObject; common: TlsContextConfig } {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['@type', 'common_tls_context', ...fields]);
  return { obj, common: compileCommonTlsContext(obj.common_tls_context, `${path}.common_tls_context`) };
}

/** A DownstreamTlsContext (a filter chain's TLS). */
export function compileDownstreamTlsContext(value: unknown, path: string): DownstreamTlsConfig {
  const { obj, common } = compileSideContext(value, path, ['require_client_certificate']);
  if (common.certificates.length === 0 && common.certificateSecrets.length === 0) {
    throw new ConfigError(`${path}.common_tls_context`, 'a server needs tls_certificates or tls_certificate_sds_secret_configs');
  }
  const requireClientCertificate = optionalBoolean(obj, 'require_client_certificate', path) ?? false;
  if (requireClientCertificate && !common.validation && !common.validationSecret) {
    throw new ConfigError(`${path}.require_client_certificate`, 'needs a validation context to check client certificates against');
  }
  return { ...common, requireClientCertificate };
}

/** An UpstreamTlsContext (a cluster's TLS). */
export function compileUpstreamTlsContext(value: unknown, path: string): UpstreamTlsConfig {
  const { obj, common } = compileSideContext(value, path, ['sni']);
  if (common.certificates.length + common.certificateSecrets.length > 1) {
    throw new ConfigError(`${path}.common_tls_context`, 'a client presents at most one certificate');
  }
  const v = common.validation;
  // The server's SANs are checked during certificate verification, which needs a trusted CA.
  if (v && v.sanMatchers.length > 0 && (v.acceptUntrusted || (v.trustedCa === undefined && !common.validationSecret))) {
    throw new ConfigError(`${path}.common_tls_context`, 'checking the server\'s subject alt names needs a trusted_ca and VERIFY_TRUST_CHAIN');
  }
  return { ...common, sni: optionalString(obj, 'sni', path) || undefined };
}

/** The ALPN list Node takes: none when the context offers none. */
export function alpnProtocols(config: TlsContextConfig): string[] | undefined {
  return config.alpn.length > 0 ? [...config.alpn] : undefined;
}

/** Every SDS secret name a context needs. */
export function secretNames(config: TlsContextConfig): string[] {
  return config.validationSecret ? [...config.certificateSecrets, config.validationSecret] : [...config.certificateSecrets];
}
