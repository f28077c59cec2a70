import { isIP } from 'node:net';

/** The nameserver addresses of a resolv.conf, in order (the resolvers DNS capture targets). */
export function parseResolvConf(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split('\n')) {
    const [keyword, address] = line.trim().split(/\s+/);
    // A zone index (fe80::1%eth0) is not part of the address iptables matches.
    const ip = (address ?? '').split('%')[0];
    if (keyword === 'nameserver' && isIP(ip)) servers.push(ip);
  }
  return servers;
}
