import { parseArgs } from 'node:util';

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
