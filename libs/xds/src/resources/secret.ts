// TLS contexts and SDS secrets (envoy.extensions.transport_sockets.tls.v3).
import type { ConfigSource, DataSource } from './core.ts';
import type { StringMatcher } from './route.ts';

export type TlsCertificate = {
  certificate_chain?: DataSource;
  private_key?: DataSource;
};

export type CertificateValidationContext = {
  trusted_ca?: DataSource;
  match_typed_subject_alt_names?: { san_type?: 'EMAIL' | 'DNS' | 'URI' | 'IP_ADDRESS'; matcher?: StringMatcher }[];
};

export type SdsSecretConfig = {
  name?: string;
  sds_config?: ConfigSource;
};

export type CommonTlsContext = {
  tls_params?: { tls_minimum_protocol_version?: string; tls_maximum_protocol_version?: string; cipher_suites?: string[] };
  tls_certificates?: TlsCertificate[];
  tls_certificate_sds_secret_configs?: SdsSecretConfig[];
  validation_context?: CertificateValidationContext;
  validation_context_sds_secret_config?: SdsSecretConfig;
  combined_validation_context?: {
    default_validation_context?: CertificateValidationContext;
    validation_context_sds_secret_config?: SdsSecretConfig;
  };
  alpn_protocols?: string[];
};

export type UpstreamTlsContext = {
  common_tls_context?: CommonTlsContext;
  sni?: string;
};

export type DownstreamTlsContext = {
  common_tls_context?: CommonTlsContext;
  require_client_certificate?: boolean;
};

export type Secret = {
  name?: string;
  tls_certificate?: TlsCertificate;
  validation_context?: CertificateValidationContext;
  generic_secret?: { secret?: DataSource };
};
