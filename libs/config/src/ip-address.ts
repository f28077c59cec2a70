// IP addresses and CIDR ranges, as Istio's resources take them (AuthorizationPolicy ipBlocks,
// VirtualService destinationSubnets).
import type { Fail } from './istio-schema.ts';

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpAddress(text: string): boolean {
  if (ipv4.test(text)) return true;
  // IPv6: eight groups, or fewer around one "::", the last two may be an IPv4 address.
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(':')) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  const last = groups.at(-1);
  const v4 = last !== undefined && last.includes('.');
  if (v4 && !ipv4.test(last)) return false;
  const count = groups.length + (v4 ? 1 : 0);
  if (groups.slice(0, v4 ? -1 : undefined).some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count < 8 : count === 8;
}

/** An address or a CIDR range, as Istio's ipBlocks, IP conditions and destination subnets
 *  take them. */
export function checkIpOrCidr(value: string, at: string, fail: Fail): void {
  const [address, bits, extra] = value.split('/');
  if (bits === undefined) {
    if (!isIpAddress(address)) fail(at, `bad IP address (${value})`);
    return;
  }
  const max = address.includes(':') ? 128 : 32;
  if (extra !== undefined || !isIpAddress(address) || !/^\d{1,3}$/.test(bits) || Number(bits) > max) fail(at, `bad CIDR range (${value})`);
}
