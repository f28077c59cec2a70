import { Command, CommanderError } from 'commander';
import {
  DEFAULT_CAPTURE,
  parseCidrList,
  parseCidrSelection,
  parseIdList,
  parseInterceptionMode,
  parseGroupList,
  parseInterfaceList,
  parseMark,
  parsePort,
  parsePortList,
  parsePortSelection,
  parseRouteTable,
  type CaptureConfig,
} from '../config/capture-config.ts';
import { parseDuration } from '../config/duration.ts';
import { parseResolvConf } from '../config/resolv-conf.ts';

/** A bad flag or environment value; the command exits 2 and applies nothing. */
export class UsageError extends Error {}

interface ValueFlag {
  flags: string;
  env: string;
  description: string;
  /** Sets the parsed value on the config. */
  set: (config: CaptureConfig, text: string) => void;
}

// istio-iptables' flags, with the environment variables it falls back to.
const VALUE_FLAGS: ValueFlag[] = [
  { flags: '-p, --envoy-port <port>', env: 'ENVOY_PORT', description: 'port outbound traffic is redirected to (default 15001)', set: (c, t) => (c.proxyPort = parsePort(t)) },
  { flags: '-z, --inbound-capture-port <port>', env: 'INBOUND_CAPTURE_PORT', description: 'port inbound traffic is redirected to (default 15006)', set: (c, t) => (c.inboundCapturePort = parsePort(t)) },
  { flags: '-e, --inbound-tunnel-port <port>', env: 'INBOUND_TUNNEL_PORT', description: 'inbound tunnel port, never captured (default 15008)', set: (c, t) => (c.inboundTunnelPort = parsePort(t)) },
  { flags: '-u, --proxy-uid <uids>', env: 'PROXY_UID', description: 'uids whose traffic is not captured (default 1337)', set: (c, t) => (c.proxyUids = parseIdList(t)) },
  { flags: '-g, --proxy-gid <gids>', env: 'PROXY_GID', description: 'gids whose traffic is not captured (default: the uids)', set: (c, t) => (c.proxyGids = parseIdList(t)) },
  { flags: '-m, --istio-inbound-interception-mode <mode>', env: 'ISTIO_INBOUND_INTERCEPTION_MODE', description: 'REDIRECT or TPROXY (default REDIRECT)', set: (c, t) => (c.inboundInterceptionMode = t === '' ? 'REDIRECT' : parseInterceptionMode(t)) },
  { flags: '-b, --istio-inbound-ports <ports>', env: 'ISTIO_INBOUND_PORTS', description: 'inbound ports to capture: "*", a list, or empty for none', set: (c, t) => (c.inboundPorts = parsePortSelection(t)) },
  { flags: '-d, --istio-local-exclude-ports <ports>', env: 'ISTIO_LOCAL_EXCLUDE_PORTS', description: 'inbound ports not captured when -b is "*"', set: (c, t) => (c.inboundPortsExclude = parsePortList(t)) },
  { flags: '-o, --istio-local-outbound-ports-exclude <ports>', env: 'ISTIO_LOCAL_OUTBOUND_PORTS_EXCLUDE', description: 'outbound ports never captured', set: (c, t) => (c.outboundPortsExclude = parsePortList(t)) },
  { flags: '-q, --istio-outbound-ports <ports>', env: 'ISTIO_OUTBOUND_PORTS', description: 'outbound ports always captured', set: (c, t) => (c.outboundPorts = parsePortList(t)) },
  { flags: '-i, --istio-service-cidr <cidrs>', env: 'ISTIO_SERVICE_CIDR', description: 'outbound destinations to capture: "*", CIDRs, or empty for none', set: (c, t) => (c.outboundCidrs = parseCidrSelection(t)) },
  { flags: '-x, --istio-service-exclude-cidr <cidrs>', env: 'ISTIO_SERVICE_EXCLUDE_CIDR', description: 'outbound destinations never captured', set: (c, t) => (c.outboundCidrsExclude = parseCidrList(t)) },
  { flags: '-k, --kube-virt-interfaces <names>', env: 'KUBE_VIRT_INTERFACES', description: 'interfaces whose inbound traffic is treated as outbound', set: (c, t) => (c.kubeVirtInterfaces = parseInterfaceList(t)) },
  { flags: '-c, --istio-exclude-interfaces <names>', env: 'ISTIO_EXCLUDE_INTERFACES', description: 'interfaces whose traffic is never captured', set: (c, t) => (c.excludeInterfaces = parseInterfaceList(t)) },
  { flags: '-t, --inbound-tproxy-mark <mark>', env: 'INBOUND_TPROXY_MARK', description: 'packet mark for TPROXY (default 1337)', set: (c, t) => (c.tproxyMark = parseMark(t)) },
  { flags: '-r, --inbound-tproxy-route-table <table>', env: 'INBOUND_TPROXY_ROUTE_TABLE', description: 'routing table for TPROXY (default 133)', set: (c, t) => (c.tproxyRouteTable = parseRouteTable(t)) },
];

interface BooleanFlag {
  flags: string;
  /** Environment variables read in turn when the flag is absent. */
  env: string[];
  description: string;
  key: 'redirectDns' | 'captureAllDns' | 'dropInvalid' | 'dualStack' | 'dryRun' | 'skipRuleApply' | 'runValidation';
}

const BOOLEAN_FLAGS: BooleanFlag[] = [
  { flags: '--redirect-dns', env: ['REDIRECT_DNS', 'ISTIO_META_DNS_CAPTURE'], description: 'send DNS to the agent on 15053', key: 'redirectDns' },
  { flags: '--capture-all-dns', env: ['CAPTURE_ALL_DNS'], description: 'with --redirect-dns, capture all DNS, not only to the resolvers in /etc/resolv.conf', key: 'captureAllDns' },
  { flags: '--drop-invalid', env: ['DROP_INVALID', 'INVALID_DROP'], description: 'drop packets conntrack marks INVALID', key: 'dropInvalid' },
  { flags: '--dual-stack', env: ['DUAL_STACK', 'ISTIO_AGENT_DUAL_STACK'], description: 'write IPv6 rules as well as IPv4', key: 'dualStack' },
  { flags: '-n, --dry-run', env: ['DRY_RUN'], description: 'print the rules (iptables-restore format) instead of applying them', key: 'dryRun' },
  { flags: '--skip-rule-apply', env: ['SKIP_RULE_APPLY'], description: 'check the flags but apply nothing', key: 'skipRuleApply' },
  { flags: '--run-validation', env: ['RUN_VALIDATION'], description: 'after applying (or with --skip-rule-apply, instead), prove that the rules redirect', key: 'runValidation' },
];

// The validation's own settings, which do not shape the rules.
const VALIDATION_FLAGS = [
  { flags: '--iptables-probe-port <port>', env: 'IPTABLES_PROBE_PORT', description: 'port the validation dials on 127.0.0.6 (default 15002)' },
  { flags: '--probe-timeout <duration>', env: 'PROBE_TIMEOUT', description: 'how long the validation may take, e.g. 5s or 500ms (default 5s)' },
];

/** --run-validation: the probe port dialled and the time allowed. */
export interface ValidationSettings {
  probePort: number;
  timeoutMs: number;
}

export interface Invocation {
  command: 'apply' | 'clean';
  config: CaptureConfig;
  dryRun: boolean;
  skipRuleApply: boolean;
  /** Present with --run-validation. */
  validation?: ValidationSettings;
}

/** What the command line reads from the machine besides flags and environment. */
export interface Host {
  resolvConf: () => string;
  /** The pod's non-loopback, non-link-local addresses, primary first. */
  podAddresses: () => string[];
}

/** Parses argv and env into an invocation and calls `execute`; resolves to the exit code
 *  (2 for bad input, with nothing applied). */
export async function runCommandLine(
  argv: string[],
  env: NodeJS.ProcessEnv,
  host: Host,
  execute: (invocation: Invocation) => Promise<number>,
  writeErr: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  let exitCode = 0;
  const program = new Command('iptables-init')
    .description('Installs Istio-compatible traffic capture rules in the network namespace of a pod.')
    .configureOutput({ writeErr })
    .exitOverride()
    // Flags after "clean" belong to clean, not to the top-level command.
    .enablePositionalOptions();
  const act = (command: Invocation['command']) => async (flags: Record<string, string | boolean | undefined>) => {
    exitCode = await execute(toInvocation(command, flags, env, host));
  };
  addFlags(program).action(act('apply'));
  addFlags(program.command('clean').description('Removes every chain and jump that iptables-init installed')).action(act('clean'));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      writeErr(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function addFlags(command: Command): Command {
  for (const flag of VALUE_FLAGS) command.option(flag.flags, `${flag.description} [$${flag.env}]`);
  for (const flag of BOOLEAN_FLAGS) command.option(flag.flags, `${flag.description} [$${flag.env.join(', $')}]`);
  for (const flag of VALIDATION_FLAGS) command.option(flag.flags, `${flag.description} [$${flag.env}]`);
  return command;
}

function toInvocation(command: Invocation['command'], flags: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv, host: Host): Invocation {
  const config: CaptureConfig = { ...DEFAULT_CAPTURE };
  let gidsGiven = false;
  for (const flag of VALUE_FLAGS) {
    const long = flag.flags.split(' ')[1];
    const fromFlag = flags[optionKey(long)];
    const text = typeof fromFlag === 'string' ? fromFlag : env[flag.env];
    if (text === undefined) continue;
    try {
      flag.set(config, text.trim());
    } catch (error) {
      const source = typeof fromFlag === 'string' ? long : `$${flag.env} (${long})`;
      throw new UsageError(`${source}: ${(error as Error).message}`, { cause: error });
    }
    if (long === '--proxy-gid') gidsGiven = true;
  }
  // As istio-iptables: the proxy's group defaults to its user id.
  if (!gidsGiven) config.proxyGids = config.proxyUids;

  const booleans: Record<BooleanFlag['key'], boolean> = { redirectDns: false, captureAllDns: false, dropInvalid: false, dualStack: false, dryRun: false, skipRuleApply: false, runValidation: false };
  for (const flag of BOOLEAN_FLAGS) {
    booleans[flag.key] = flags[optionKey(flag.flags.split(' ').at(-1)!)] === true || envBoolean(env, flag.env);
  }
  config.ownerGroups = readOwnerGroups(env);
  config.redirectDns = booleans.redirectDns;
  config.captureAllDns = booleans.captureAllDns;
  config.dropInvalid = booleans.dropInvalid;
  // Like istio-iptables, IPv6 is captured when the pod's primary address is IPv6 (or dual stack).
  config.ipv6 = booleans.dualStack || (host.podAddresses()[0] ?? '').includes(':');
  if (config.redirectDns && !config.captureAllDns) config.dnsServers = parseResolvConf(host.resolvConf());
  const invocation: Invocation = { command, config, dryRun: booleans.dryRun, skipRuleApply: booleans.skipRuleApply };
  // Read (and so checked) even without --run-validation, as every other flag is.
  const validation = readValidation(flags, env);
  if (booleans.runValidation) invocation.validation = validation;
  return invocation;
}

function readValidation(flags: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): ValidationSettings {
  const read = <T>(index: number, parse: (text: string) => T, fallback: T): T => {
    const flag = VALIDATION_FLAGS[index];
    const long = flag.flags.split(' ')[0];
    const fromFlag = flags[optionKey(long)];
    const text = typeof fromFlag === 'string' ? fromFlag : env[flag.env];
    if (text === undefined) return fallback;
    try {
      return parse(text.trim());
    } catch (error) {
      throw new UsageError(`${typeof fromFlag === 'string' ? long : `$${flag.env} (${long})`}: ${(error as Error).message}`, { cause: error });
    }
  };
  return { probePort: read(0, parsePort, 15002), timeoutMs: read(1, parseDuration, 5000) };
}

// Environment only, as in istio-iptables: capture the groups in ISTIO_OUTBOUND_OWNER_GROUPS
// ("*" for all, the default), except those in ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE.
function readOwnerGroups(env: NodeJS.ProcessEnv): CaptureConfig['ownerGroups'] {
  const read = (name: string, fallback: string) => {
    try {
      return parseGroupList(env[name] ?? fallback);
    } catch (error) {
      throw new UsageError(`$${name}: ${(error as Error).message}`, { cause: error });
    }
  };
  const include = (env.ISTIO_OUTBOUND_OWNER_GROUPS ?? '*').trim();
  if (include === '*') return { except: true, groups: read('ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE', '') };
  return { except: false, groups: read('ISTIO_OUTBOUND_OWNER_GROUPS', '') };
}

// Commander's key for a long flag: "--istio-inbound-ports" -> "istioInboundPorts".
function optionKey(long: string): string {
  return long.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

// Go's strconv.ParseBool spellings, as istio-iptables accepts.
function envBoolean(env: NodeJS.ProcessEnv, names: string[]): boolean {
  for (const name of names) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
    if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
    throw new UsageError(`$${name}: "${value}" is not a boolean (true or false)`);
  }
  return false;
}
