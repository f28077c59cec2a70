import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

/** The parts of resolv.conf the DNS proxy uses. */
export interface ResolvConf {
  /** Upstream resolvers, in order, as host and port 53. */
  nameservers: string[];
  searchDomains: string[];
}

/** Parses resolv.conf text (nameserver and search lines; the rest is ignored, as by libc). */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], searchDomains: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...values] = line.split(/\s+/);
    // A scoped IPv6 address (fe80::1%eth0) keeps its zone for the socket to use.
    if (keyword === 'nameserver' && values[0] && isIP(values[0].split('%')[0])) conf.nameservers.push(values[0]);
    else if (keyword === 'search' || keyword === 'domain') conf.searchDomains = values.filter(Boolean);
  }
  return conf;
}

export async function readResolvConf(file: string): Promise<ResolvConf> {
  try {
    return parseResolvConf(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the upstream resolvers from ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}
