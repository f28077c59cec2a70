import { parseArgs } from 'node:util';
import type { Upstream } from './upstream.ts';

export interface AppOptions {
  port: number;
  /** Which pod this is (Kubernetes' downward API gives it as POD_NAME). */
  pod: string;
}

/** Reads `--port N` (else env PORT) and the pod name; a bad port is an error naming it. */
export function appOptions(argv: string[], env: NodeJS.ProcessEnv): AppOptions {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string' } } });
  return { port: parsePort('--port', values.port ?? env.PORT), pod: env.POD_NAME ?? 'unknown' };
}

export function parsePort(what: string, value: string | undefined): number {
  const port = Number(value);
  if (value === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${what}: "${value ?? ''}" is not a port (1-65535)`);
  }
  return port;
}

/** A timeout in milliseconds from env NAME, else the fallback. */
export function timeoutMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`${name}: "${value}" is not a whole number of milliseconds above 0`);
  return ms;
}

/**
 * The upstream a service calls, named as the mesh names it: env NAME (a base URL) else the
 * fallback, e.g. `http://reviews:9080`. Without traffic capture the sidecar listens for every
 * service on 127.0.0.1, so OUTBOUND_ADDRESS says where to connect; the URL's host still goes
 * in the Host header, which is what the sidecar routes on.
 */
export function upstreamFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: string): Upstream {
  const text = env[name] || fallback;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${name}: "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:') throw new Error(`${name}: "${text}" must be an http:// URL`);
  const dialAddress = env.OUTBOUND_ADDRESS || undefined;
  return { url, dialAddress };
}
