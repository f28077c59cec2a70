import { createSecureContext, type SecureContext } from 'node:tls';
import { ConfigError, type Logger } from '@mizzen/filters';
import type { SecretHandle, SecretProvider } from './secret-store.ts';
import type { CertificatePair, TlsContextConfig, ValidationContext } from './tls-context.ts';

/**
 * Turns a TLS context config and the secrets it names into a Node SecureContext, rebuilt only
 * when an SDS secret changes (certificate rotation reaches new connections without a listener
 * or cluster update).
 */
export class SecureContextSource {
  private readonly config: TlsContextConfig;
  private readonly certificateSecrets: SecretHandle[];
  private readonly validationSecret: SecretHandle | undefined;
  private readonly path: string;
  private built: { key: string; context: SecureContext; validation: ValidationContext | undefined } | undefined;

  constructor(config: TlsContextConfig, secrets: SecretProvider, path: string) {
    this.config = config;
    this.path = path;
    this.certificateSecrets = config.certificateSecrets.map((name) => secrets.subscribe(name, config.secretSources[name]));
    this.validationSecret = config.validationSecret === undefined ? undefined : secrets.subscribe(config.validationSecret, config.secretSources[config.validationSecret]);
    // Inline material is checked now, so a bad certificate rejects the config that holds it.
    if (this.ready) this.current();
  }

  /** Every secret it needs has arrived. */
  get ready(): boolean {
    return this.certificateSecrets.every((s) => s.current?.certificate) && (!this.validationSecret || this.validationSecret.current?.validation !== undefined);
  }

  /** The SDS handles it waits for. */
  get secrets(): SecretHandle[] {
    return this.validationSecret ? [...this.certificateSecrets, this.validationSecret] : this.certificateSecrets;
  }

  /** The context and validation to use now, or undefined while a secret is missing. Throws a
   *  ConfigError when the material does not load (a key that does not fit its certificate). */
  current(): { context: SecureContext; validation: ValidationContext | undefined } | undefined {
    if (!this.ready) return undefined;
    const key = this.secrets.map((s) => s.generation).join(',');
    if (this.built?.key === key) return this.built;
    const certificates: CertificatePair[] = [...this.config.certificates];
    for (const s of this.certificateSecrets) if (s.current?.certificate) certificates.push(s.current.certificate);
    const validation = mergeValidation(this.config.validation, this.validationSecret?.current?.validation);
    let context: SecureContext;
    try {
      context = createSecureContext({
        cert: certificates.map((c) => c.chain),
        key: certificates.map((c) => c.key),
        ca: validation?.trustedCa,
        minVersion: this.config.minVersion,
        maxVersion: this.config.maxVersion,
        ciphers: this.config.ciphers,
        ecdhCurve: this.config.ecdhCurve,
      });
    } catch (err) {
      throw new ConfigError(this.path, `cannot load the TLS material: ${(err as Error).message}`);
    }
    this.built = { key, context, validation };
    return this.built;
  }

  /** current() for a connection about to open: material that does not load is logged, and the
   *  connection goes without (undefined), as one whose secrets have not arrived. */
  forConnection(log: Logger): { context: SecureContext; validation: ValidationContext | undefined } | undefined {
    try {
      return this.current();
    } catch (err) {
      log.error((err as Error).message);
      return undefined;
    }
  }
}

/** A combined validation context: the SDS secret's CA, with the SAN matchers of both. */
function mergeValidation(base: ValidationContext | undefined, dynamic: ValidationContext | undefined): ValidationContext | undefined {
  if (!dynamic) return base;
  if (!base) return dynamic;
  return {
    trustedCa: dynamic.trustedCa ?? base.trustedCa,
    trustedCerts: dynamic.trustedCa !== undefined ? dynamic.trustedCerts : base.trustedCerts,
    sanMatchers: [...base.sanMatchers, ...dynamic.sanMatchers],
    acceptUntrusted: base.acceptUntrusted || dynamic.acceptUntrusted,
  };
}
