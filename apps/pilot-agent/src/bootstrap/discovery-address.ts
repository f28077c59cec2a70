import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface DiscoveryAddress {
  host: string;
  port: number;
}

/** Splits "host:port" or "[v6]:port"; throws naming what is wrong. */
export function parseHostPort(text: string): DiscoveryAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text);
  if (!match) throw new Error(`"${text}" is not host:port`);
  const host = match[1] ?? match[2];
  if (match[1] !== undefined && isIP(host) !== 6) throw new Error(`"${host}" in brackets is not an IPv6 address`);
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw new Error(`port ${match[3]} is out of range 1-65535`);
  return { host, port };
}

/** The inverse of parseHostPort (IPv6 hosts in brackets). */
export function formatHostPort({ host, port }: DiscoveryAddress): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Resolves the host once at start: the bootstrap's xds-grpc cluster is STATIC. */
export async function resolveDiscoveryAddress(address: DiscoveryAddress): Promise<string> {
  if (isIP(address.host)) return address.host;
  try {
    return (await lookup(address.host)).address;
  } catch (error) {
    throw new Error(`cannot resolve discovery address host "${address.host}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}
