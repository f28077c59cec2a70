import { ConfigError, asObject, onlyFields, requiredString, type JsonObject, type StatsStore } from '@mizzen/filters';
import { compileCertificate, compileValidationContext, type CertificatePair, type ValidationContext } from './tls-context.ts';

/** A Secret resource, checked: a certificate with its key, or a validation context. */
export interface CompiledSecret {
  readonly certificate: CertificatePair | undefined;
  readonly validation: ValidationContext | undefined;
}

/** A named secret as its users hold it: `current` changes in place when SDS rotates it. */
export interface SecretHandle {
  readonly name: string;
  readonly current: CompiledSecret | undefined;
  /** Grows on every change, so users can tell that what they built from it is stale. */
  readonly generation: number;
}

/** Where TLS contexts get their secrets from. */
export interface SecretProvider {
  subscribe(name: string): SecretHandle;
}

class Entry implements SecretHandle {
  readonly name: string;
  current: CompiledSecret | undefined;
  generation = 0;
  json: JsonObject | undefined;
  version = '';
  lastUpdated = '';
  isStatic = false;
  constructor(name: string) {
    this.name = name;
  }
}

export function compileSecret(value: unknown, path = 'Secret'): { name: string; secret: CompiledSecret } {
  const obj = asObject(value, path);
  onlyFields(obj, path, ['@type', 'name', 'tls_certificate', 'validation_context']);
  const name = requiredString(obj, 'name', path);
  const certificate = obj.tls_certificate === undefined ? undefined : compileCertificate(obj.tls_certificate, `${path}.tls_certificate`);
  const validation = obj.validation_context === undefined ? undefined : compileValidationContext(obj.validation_context, `${path}.validation_context`);
  if (!certificate && !validation) throw new ConfigError(path, 'one of tls_certificate, validation_context is required');
  return { name, secret: { certificate, validation } };
}

/** Envoy's config dump never shows a private key. */
function redacted(json: JsonObject): JsonObject {
  const cert = json.tls_certificate as JsonObject | undefined;
  if (!cert?.private_key) return json;
  return { ...json, tls_certificate: { ...cert, private_key: { inline_string: '[redacted]' } } };
}

/**
 * Secrets by name: static ones from the bootstrap, the rest from SDS over ADS. TLS contexts
 * subscribe to the names they use; listeners and clusters warm until their secrets arrive.
 */
export class SecretStore implements SecretProvider {
  private readonly entries = new Map<string, Entry>();
  private readonly stats: StatsStore;
  /** Called when a name is first asked for (the SDS subscription grows). */
  onChange: () => void = () => {};
  /** Called after secrets arrived or changed. */
  onUpdated: () => void = () => {};

  constructor(stats: StatsStore) {
    this.stats = stats;
  }

  subscribe(name: string): SecretHandle {
    let entry = this.entries.get(name);
    if (!entry) {
      this.entries.set(name, (entry = new Entry(name)));
      this.onChange();
    }
    return entry;
  }

  /** static_resources.secrets of the bootstrap. */
  addStatic(resources: unknown[], path = 'static_resources.secrets'): void {
    const now = new Date().toISOString();
    resources.forEach((r, i) => {
      const { name, secret } = compileSecret(r, `${path}[${i}]`);
      const entry = this.entries.get(name) ?? new Entry(name);
      if (entry.isStatic) throw new ConfigError(`${path}[${i}].name`, `duplicate secret "${name}"`);
      Object.assign(entry, { current: secret, json: r, isStatic: true, lastUpdated: now, generation: entry.generation + 1 });
      this.entries.set(name, entry);
    });
  }

  /** Names SDS must deliver (every subscribed name that is not static). */
  names(): string[] {
    return [...this.entries.values()].filter((e) => !e.isStatic).map((e) => e.name).sort();
  }

  /** Applies an SDS response; throws, changing nothing, if a secret is bad. */
  applySds(resources: JsonObject[], version: string): void {
    const compiled = resources.map((r, i) => ({ json: r, ...compileSecret(r, `Secret[${i}]`) }));
    for (const { name } of compiled) {
      if (this.entries.get(name)?.isStatic) throw new ConfigError(`Secret "${name}"`, 'a static secret of that name exists');
    }
    const now = new Date().toISOString();
    for (const { name, secret, json } of compiled) {
      const entry = this.entries.get(name);
      if (!entry) continue;
      if (entry.json && JSON.stringify(entry.json) === JSON.stringify(json)) continue;
      Object.assign(entry, { current: secret, json, version, lastUpdated: now, generation: entry.generation + 1 });
    }
    this.stats.counter('sds.update_success').inc();
    this.onUpdated();
  }

  /** For /config_dump's SecretsConfigDump: keys redacted. */
  dump(): { staticSecrets: JsonObject[]; active: JsonObject[]; warming: JsonObject[] } {
    const all = [...this.entries.values()];
    const show = (e: Entry): JsonObject => ({
      name: e.name,
      version_info: e.isStatic ? undefined : e.version,
      last_updated: e.lastUpdated,
      secret: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', ...redacted(e.json ?? {}) },
    });
    return {
      staticSecrets: all.filter((e) => e.isStatic).map((e) => ({ name: e.name, last_updated: e.lastUpdated, secret: show(e).secret })),
      active: all.filter((e) => !e.isStatic && e.current).map(show),
      warming: all.filter((e) => !e.current).map((e) => ({ name: e.name })),
    };
  }
}
