import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  ConfigError, asObject, onlyFields, optionalArray, optionalBoolean, optionalDurationMs, optionalObject, requiredObject, requiredString, oneOf, type JsonObject,
} from '@mizzen/filters';
import { validate } from '@mizzen/xds/schema';
import { compileCluster, readSocketAddress, type ClusterConfig } from '../upstream/cluster-config.ts';

export interface AdsConfig {
  /** The static cluster that carries the ADS stream. */
  readonly clusterName: string;
  /** "host:port" of its first endpoint. */
  readonly target: string;
  readonly cds: boolean;
  readonly lds: boolean;
  /** ads_config.api_type DELTA_GRPC: incremental xDS. */
  readonly delta: boolean;
  /** initial_fetch_timeout of cds_config and lds_config (0: wait for ever). */
  readonly cdsInitialFetchTimeoutMs: number;
  readonly ldsInitialFetchTimeoutMs: number;
}

/** The bootstrap, checked. Listeners stay JSON here: building them needs the running proxy. */
export interface BootstrapConfig {
  readonly node: JsonObject;
  readonly admin: { address: string; port: number } | undefined;
  readonly clusters: ClusterConfig[];
  readonly listeners: JsonObject[];
  /** static_resources.secrets, checked when the proxy loads them. */
  readonly secrets: JsonObject[];
  readonly ads: AdsConfig | undefined;
  /** Canonical Envoy JSON of the whole bootstrap, for /config_dump. */
  readonly json: JsonObject;
}

const BOOTSTRAP_TYPE = 'envoy.config.bootstrap.v3.Bootstrap';

/** The YAML parser, loaded only for a YAML bootstrap: it costs about 6 MB of resident memory,
 *  and pilot-agent writes JSON. */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

/** Reads a bootstrap file, JSON or YAML, as `envoy -c` does. */
export function readBootstrapFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, `cannot read: ${(err as Error).message}`);
  }
  try {
    return /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, `not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

// Envoy's default initial_fetch_timeout.
const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;

function configSourceIsAds(obj: JsonObject, key: string, path: string): boolean {
  const source = optionalObject(obj, key, path);
  if (!source) return false;
  onlyFields(source, `${path}.${key}`, ['ads', 'resource_api_version', 'initial_fetch_timeout']);
  if (!source.ads) throw new ConfigError(`${path}.${key}`, 'only { ads: {} } config sources are supported');
  return true;
}

function initialFetchTimeoutMs(obj: JsonObject, key: string, path: string): number {
  const source = optionalObject(obj, key, path);
  return (source && optionalDurationMs(source, 'initial_fetch_timeout', `${path}.${key}`)) ?? DEFAULT_INITIAL_FETCH_TIMEOUT_MS;
}

function compileAds(dynamic: JsonObject, clusters: ClusterConfig[], pipes: Map<string, string>, path: string): AdsConfig | undefined {
  onlyFields(dynamic, path, ['ads_config', 'cds_config', 'lds_config']);
  const cds = configSourceIsAds(dynamic, 'cds_config', path);
  const lds = configSourceIsAds(dynamic, 'lds_config', path);
  const ads = optionalObject(dynamic, 'ads_config', path);
  if (!ads) {
    if (cds || lds) throw new ConfigError(`${path}.ads_config`, 'required when cds_config or lds_config uses ADS');
    return undefined;
  }
  const apath = `${path}.ads_config`;
  onlyFields(ads, apath, ['api_type', 'transport_api_version', 'set_node_on_first_message_only', 'grpc_services']);
  const delta = oneOf(ads, 'api_type', apath, ['GRPC', 'DELTA_GRPC'], 'GRPC') === 'DELTA_GRPC';
  const common = {
    cds, lds, delta,
    cdsInitialFetchTimeoutMs: initialFetchTimeoutMs(dynamic, 'cds_config', path),
    ldsInitialFetchTimeoutMs: initialFetchTimeoutMs(dynamic, 'lds_config', path),
  };
  oneOf(ads, 'transport_api_version', apath, ['V3'], 'V3');
  optionalBoolean(ads, 'set_node_on_first_message_only', apath);
  const services = optionalArray(ads, 'grpc_services', apath);
  if (services.length !== 1) throw new ConfigError(`${apath}.grpc_services`, 'exactly one gRPC service is required');
  const spath = `${apath}.grpc_services[0]`;
  const service = asObject(services[0], spath);
  onlyFields(service, spath, ['envoy_grpc', 'timeout', 'initial_metadata']);
  const envoyGrpc = requiredObject(service, 'envoy_grpc', spath);
  onlyFields(envoyGrpc, `${spath}.envoy_grpc`, ['cluster_name']);
  const clusterName = requiredString(envoyGrpc, 'cluster_name', `${spath}.envoy_grpc`);
  const pipe = pipes.get(clusterName);
  if (pipe !== undefined) return { clusterName, target: `unix:${pipe}`, ...common };
  const cluster = clusters.find((c) => c.name === clusterName);
  if (!cluster) throw new ConfigError(`${spath}.envoy_grpc.cluster_name`, `no static cluster named "${clusterName}"`);
  const endpoint = cluster.endpoints[0];
  if (!endpoint) throw new ConfigError(`static_resources.clusters "${clusterName}"`, 'the ADS cluster needs an endpoint');
  const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
  return { clusterName, target: `${host}:${endpoint.port}`, ...common };
}

/** Checks a bootstrap object: first against Envoy's schema and the validation rules in its
 *  protos (unknown fields, types, ranges), then against what this proxy implements. Errors
 *  name the field path. `checked`: `raw` is the `json` of a bootstrap compiled before (what a
 *  worker thread gets), so the first step, the costly one, is skipped. */
export function compileBootstrap(raw: unknown, options: { checked?: boolean } = {}): BootstrapConfig {
  const json = options.checked ? asObject(raw, 'Bootstrap') : validate(BOOTSTRAP_TYPE, raw);
  const path = 'Bootstrap';
  onlyFields(json, path, ['node', 'admin', 'static_resources', 'dynamic_resources']);
  let admin: BootstrapConfig['admin'];
  const adminJson = optionalObject(json, 'admin', path);
  if (adminJson) {
    onlyFields(adminJson, `${path}.admin`, ['address']);
    const { address, port } = readSocketAddress(adminJson.address, `${path}.admin.address`);
    admin = { address, port };
  }
  const statics = optionalObject(json, 'static_resources', path) ?? {};
  onlyFields(statics, `${path}.static_resources`, ['listeners', 'clusters', 'secrets']);
  const rawClusters = optionalArray(statics, 'clusters', `${path}.static_resources`);
  const pipes = pipeClusters(rawClusters);
  const clusters = rawClusters.flatMap((c, i) => (pipes.has(clusterNameOf(c)) ? [] : [compileCluster(c, `${path}.static_resources.clusters[${i}]`)]));
  const names = new Set<string>();
  clusters.forEach((c, i) => {
    if (names.has(c.name)) throw new ConfigError(`${path}.static_resources.clusters[${i}].name`, `duplicate cluster "${c.name}"`);
    names.add(c.name);
    if (c.type === 'EDS') throw new ConfigError(`${path}.static_resources.clusters[${i}].type`, 'static EDS clusters are not supported');
  });
  const listeners = optionalArray(statics, 'listeners', `${path}.static_resources`).map((l, i) => asObject(l, `${path}.static_resources.listeners[${i}]`));
  const secrets = optionalArray(statics, 'secrets', `${path}.static_resources`).map((s, i) => asObject(s, `${path}.static_resources.secrets[${i}]`));
  const dynamic = optionalObject(json, 'dynamic_resources', path);
  const ads = dynamic ? compileAds(dynamic, clusters, pipes, `${path}.dynamic_resources`) : undefined;
  return { node: optionalObject(json, 'node', path) ?? {}, admin, clusters, listeners, secrets, ads, json };
}

// pilot-agent's local xDS proxy listens on a unix socket: a static cluster whose one endpoint is
// a pipe is dialled by the ADS client alone (the data plane does not route to pipes).
function pipeClusters(clusters: unknown[]): Map<string, string> {
  const pipes = new Map<string, string>();
  for (const cluster of clusters) {
    const lbEndpoints = (cluster as { load_assignment?: { endpoints?: { lb_endpoints?: { endpoint?: { address?: { pipe?: { path?: unknown } } } }[] }[] } })
      .load_assignment?.endpoints?.flatMap((e) => e.lb_endpoints ?? []) ?? [];
    const path = lbEndpoints[0]?.endpoint?.address?.pipe?.path;
    if (lbEndpoints.length === 1 && typeof path === 'string' && path !== '') pipes.set(clusterNameOf(cluster), path);
  }
  return pipes;
}

function clusterNameOf(cluster: unknown): string {
  const name = (cluster as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}
