import { EnvironmentError } from '../bootstrap/pod-identity.ts';
import { parseHostPort, type DiscoveryAddress } from '../bootstrap/discovery-address.ts';
import { parseDuration } from './duration.ts';

// Istio's agent takes many switches from its environment; each reader names the variable
// when its value is wrong.

/** "true"/"false" (any case, also 1/0); unset or empty gives the default. */
export function readBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new EnvironmentError(`environment variable ${name}: "${env[name]}" is not true or false`);
}

/** A duration such as "5s" or "500ms"; unset or empty gives the default. */
export function readDuration(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return fallbackMs;
  try {
    return parseDuration(value);
  } catch (error) {
    throw new EnvironmentError(`environment variable ${name}: ${(error as Error).message}`);
  }
}

/** A JSON value; unset or empty gives undefined. */
export function readJson(env: NodeJS.ProcessEnv, name: string): unknown {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new EnvironmentError(`environment variable ${name}: not valid JSON (${(error as Error).message})`);
  }
}

/** "host:port" ("localhost" is taken as 127.0.0.1, the address the DNS capture rules use). */
export function readHostPort(env: NodeJS.ProcessEnv, name: string, fallback: string): DiscoveryAddress {
  const value = env[name]?.trim() || fallback;
  try {
    const address = parseHostPort(value);
    return address.host === 'localhost' ? { ...address, host: '127.0.0.1' } : address;
  } catch (error) {
    throw new EnvironmentError(`environment variable ${name}: ${(error as Error).message}`);
  }
}
