import { ConfigError, asObject, onlyFields, requiredString, type JsonObject, type Logger, type StatsStore } from '@mizzen/filters';
import { sdsSourceKey, type SdsSource } from './sds-source.ts';
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

/** Where TLS contexts get their secrets from: over ADS or static without a source, else from
 *  the secret server the source names. */
export interface SecretProvider {
  subscribe(name: string, source?: SdsSource): SecretHandle;
}

/** One SDS stream to a secret server: asks for the names given, all of them each time. */
export interface SecretStream {
  subscribe(names: string[]): void;
  close(): void;
}

/** How the store reaches secret servers: the gRPC target of each static cluster, and the stream
 *  it opens to one (applying each response with `apply`, which throws to NACK). */
export interface SecretServers {
  readonly targets: ReadonlyMap<string, string>;
  open(source: SdsSource, target: string, apply: (resources: JsonObject[], version: string) => Promise<void>): SecretStream;
  /** Called after a secret server's response is applied (users of the secrets catch up). */
  onApplied(): Promise<void>;
  readonly log: Logger;
}

class Entry implements SecretHandle {
  readonly name: string;
  /** Undefined for a static secret or one over ADS. */
  readonly source: SdsSource | undefined;
  current: CompiledSecret | undefined;
  generation = 0;
  json: JsonObject | undefined;
  version = '';
  lastUpdated = '';
  isStatic = false;
  constructor(name: string, source?: SdsSource) {
    this.name = name;
    this.source = source;
  }
}

/** Secrets are told apart by name and source, as in Envoy: "default" over ADS and "default"
 *  from a secret server are two secrets. */
function entryKey(name: string, source: SdsSource | undefined): string {
  return source ? `${sdsSourceKey(source)}\n${name}` : name;
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

  private servers: SecretServers | undefined;
  /** An SDS stream per source key. */
  private readonly streams = new Map<string, SecretStream>();

  constructor(stats: StatsStore) {
    this.stats = stats;
  }

  /** Lets sds_config api_config_source name the static clusters in `servers.targets`. */
  useSecretServers(servers: SecretServers): void {
    this.servers = servers;
  }

  /** Throws a ConfigError naming the cluster_name field when no secret server can be reached
   *  through the cluster the source names. */
  subscribe(name: string, source?: SdsSource): SecretHandle {
    const target = source && this.servers?.targets.get(source.clusterName);
    if (source && target === undefined) {
      throw new ConfigError(source.path, `no static cluster named "${source.clusterName}" with an address to reach a secret server`);
    }
    const key = entryKey(name, source);
    let entry = this.entries.get(key);
    if (!entry) {
      this.entries.set(key, (entry = new Entry(name, source)));
      if (source && target !== undefined) this.streamFor(source, target).subscribe(this.sourceNames(source));
      else this.onChange();
    }
    return entry;
  }

  /** The one stream of a source, opened on first use. */
  private streamFor(source: SdsSource, target: string): SecretStream {
    const key = sdsSourceKey(source);
    let stream = this.streams.get(key);
    const servers = this.servers;
    if (!stream && servers) {
      stream = servers.open(source, target, async (resources, version) => {
        try {
          this.applySds(resources, version, source);
        } catch (err) {
          this.stats.counter('sds.update_rejected').inc();
          servers.log.warn(`rejected secrets version ${version} from cluster ${source.clusterName}: ${(err as Error).message}`);
          throw err;
        }
        await servers.onApplied();
      });
      this.streams.set(key, stream);
    }
    return stream as SecretStream;
  }

  /** Names asked of a source's secret server. */
  private sourceNames(source: SdsSource): string[] {
    const key = sdsSourceKey(source);
    return [...this.entries.values()].filter((e) => e.source && sdsSourceKey(e.source) === key).map((e) => e.name).sort();
  }

  /** Ends every stream to a secret server. */
  close(): void {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
  }

  /** static_resources.secrets of the bootstrap. */
  addStatic(resources: unknown[], path = 'static_resources.secrets'): void {
    const now = new Date().toISOString();
    resources.forEach((r, i) => {
      const { name, secret } = compileSecret(r, `${path}[${i}]`);
      const entry = this.entries.get(entryKey(name, undefined)) ?? new Entry(name);
      if (entry.isStatic) throw new ConfigError(`${path}[${i}].name`, `duplicate secret "${name}"`);
      Object.assign(entry, { current: secret, json: r, isStatic: true, lastUpdated: now, generation: entry.generation + 1 });
      this.entries.set(name, entry);
    });
  }

  /** Names SDS over ADS must deliver (every subscribed name without a source that is not static). */
  names(): string[] {
    return [...this.entries.values()].filter((e) => !e.isStatic && !e.source).map((e) => e.name).sort();
  }

  /** Applies an SDS response, over ADS or from a source's secret server; throws, changing
   *  nothing, if a secret is bad. */
  applySds(resources: JsonObject[], version: string, source?: SdsSource): void {
    const compiled = resources.map((r, i) => ({ json: r, ...compileSecret(r, `Secret[${i}]`) }));
    for (const { name } of compiled) {
      if (!source && this.entries.get(name)?.isStatic) throw new ConfigError(`Secret "${name}"`, 'a static secret of that name exists');
    }
    const now = new Date().toISOString();
    for (const { name, secret, json } of compiled) {
      const entry = this.entries.get(entryKey(name, source));
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
