/** "0.0.0.0:15010" or "[::]:15010" -> host and port; throws naming what is wrong. */
export function splitHostPort(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(address);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new Error(`expected HOST:PORT with a port from 0 to 65535, got ${JSON.stringify(address)}`);
  return { host: match[1] ?? match[2], port };
}
