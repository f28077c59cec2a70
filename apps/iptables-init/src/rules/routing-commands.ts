import type { CaptureConfig } from '../config/capture-config.ts';

/** Commands (argv) beside the rules, per family: TPROXY needs marked packets routed to
 *  loopback; IPv6 needs ::6 on loopback, the source the proxy uses to reach the app
 *  (IPv4 has all of 127.0.0.0/8 on loopback already). Each command is safe to repeat. */
export function buildRoutingCommands(config: CaptureConfig): { ipv4: string[][]; ipv6: string[][] } {
  const tproxy = config.inboundInterceptionMode === 'TPROXY';
  const routes = (flag: '-4' | '-6', local: string) =>
    tproxy
      ? [
          ['ip', flag, 'rule', 'replace', 'fwmark', String(config.tproxyMark), 'lookup', String(config.tproxyRouteTable)],
          ['ip', flag, 'route', 'replace', 'local', local, 'dev', 'lo', 'table', String(config.tproxyRouteTable)],
        ]
      : [];
  return {
    ipv4: routes('-4', '0.0.0.0/0'),
    ipv6: config.ipv6 ? [['ip', '-6', 'addr', 'replace', '::6/128', 'dev', 'lo'], ...routes('-6', '::/0')] : [],
  };
}
