import { parse } from 'yaml';
import { parseHostPort, type DiscoveryAddress } from '../bootstrap/discovery-address.ts';
import { EnvironmentError } from '../bootstrap/pod-identity.ts';
import { parseDuration } from './duration.ts';

/** The parts of Istio's ProxyConfig the agent uses, as the injector passes them in the
 *  PROXY_CONFIG variable (YAML or JSON, camelCase, from the mesh config and the
 *  proxy.istio.io/config annotation). Flags given on the command line win over these. */
export interface ProxyConfigEnv {
  discovery?: DiscoveryAddress;
  concurrency?: number;
  drainDurationMs?: number;
  /** Istio's statusPort: the agent's own port (merged metrics, app probes), 15020. */
  agentPort?: number;
  adminPort?: number;
  binaryPath?: string;
  configPath?: string;
  /** Extra environment for the agent (ISTIO_META_* among them). */
  proxyMetadata?: Record<string, string>;
}

/** Reads PROXY_CONFIG; fields the agent does not use are ignored, as Istio's agent ignores
 *  what does not concern it. Throws naming the field that is wrong. */
export function readProxyConfigEnv(text: string | undefined): ProxyConfigEnv {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw fail('', `not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (!isObject(value)) throw fail('', 'must be an object of ProxyConfig fields');
  const result: ProxyConfigEnv = {};
  if (value.discoveryAddress !== undefined) result.discovery = field('discoveryAddress', () => parseHostPort(asString(value.discoveryAddress)));
  if (value.concurrency !== undefined) result.concurrency = field('concurrency', () => asInteger(value.concurrency, 0, 1024));
  if (value.terminationDrainDuration !== undefined) result.drainDurationMs = field('terminationDrainDuration', () => parseDuration(asString(value.terminationDrainDuration)));
  if (value.statusPort !== undefined) result.agentPort = field('statusPort', () => asInteger(value.statusPort, 1, 65535));
  if (value.proxyAdminPort !== undefined) result.adminPort = field('proxyAdminPort', () => asInteger(value.proxyAdminPort, 1, 65535));
  if (value.binaryPath !== undefined) result.binaryPath = field('binaryPath', () => asString(value.binaryPath));
  if (value.configPath !== undefined) result.configPath = field('configPath', () => asString(value.configPath));
  if (value.proxyMetadata !== undefined) result.proxyMetadata = field('proxyMetadata', () => asStringMap(value.proxyMetadata));
  return result;
}

function field<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw fail(`.${name}`, (error as Error).message);
  }
}

function fail(path: string, reason: string): EnvironmentError {
  return new EnvironmentError(`environment variable PROXY_CONFIG${path}: ${reason}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new Error('must be a non-empty string');
  return value;
}

function asInteger(value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new Error(`must be a whole number from ${min} to ${max}`);
  return value;
}

function asStringMap(value: unknown): Record<string, string> {
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) throw new Error('must be a map of strings');
  return value as Record<string, string>;
}
