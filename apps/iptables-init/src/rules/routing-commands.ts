import type { CaptureConfig } from '../config/capture-config.ts';

/** A command to run beside the rules. `replaces`, when set, undoes an earlier run of the same
 *  command (ip rules have no "replace"), so that running twice leaves one copy; `undo` takes
 *  back what the command added when a later step of the same run fails. */
export interface RoutingCommand {
  argv: string[];
  replaces?: string[];
  undo?: string[];
}

/** Commands per family: TPROXY needs marked packets routed to loopback; IPv6 needs ::6 on
 *  loopback, the source the proxy uses to reach the app (IPv4 has all of 127.0.0.0/8 there). */
export function buildRoutingCommands(config: CaptureConfig): { ipv4: RoutingCommand[]; ipv6: RoutingCommand[] } {
  const tproxy = config.inboundInterceptionMode === 'TPROXY';
  const mark = String(config.tproxyMark);
  const table = String(config.tproxyRouteTable);
  const routes = (family: '-4' | '-6', local: string): RoutingCommand[] =>
    tproxy
      ? [
          { argv: ['ip', family, 'rule', 'add', 'fwmark', mark, 'lookup', table], replaces: ['ip', family, 'rule', 'del', 'fwmark', mark, 'lookup', table], undo: ['ip', family, 'rule', 'del', 'fwmark', mark, 'lookup', table] },
          { argv: ['ip', family, 'route', 'replace', 'local', local, 'dev', 'lo', 'table', table], undo: ['ip', family, 'route', 'del', 'local', local, 'dev', 'lo', 'table', table] },
        ]
      : [];
  return {
    ipv4: routes('-4', '0.0.0.0/0'),
    ipv6: config.ipv6 ? [{ argv: ['ip', '-6', 'addr', 'replace', '::6/128', 'dev', 'lo'] }, ...routes('-6', '::/0')] : [],
  };
}
