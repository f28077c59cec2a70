import { parseArgs } from 'node:util';

export interface EchoOptions {
  port: number;
  /** What each echoed line starts with (the version: `one`, `two`). */
  prefix: string;
}

/** Reads `--port N` and `--prefix TEXT` (as Istio's tcp-echo takes a port and a prefix); bad
 *  values are an error naming the flag. */
export function echoOptions(argv: string[]): EchoOptions {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, prefix: { type: 'string' } } });
  const port = Number(values.port);
  if (values.port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--port: "${values.port ?? ''}" is not a port (1-65535)`);
  }
  if (values.prefix === undefined || values.prefix === '' || /\s/.test(values.prefix)) {
    throw new Error(`--prefix: "${values.prefix ?? ''}" must be one word`);
  }
  return { port, prefix: values.prefix };
}
