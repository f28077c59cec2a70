import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseHostPort, type DiscoveryAddress } from '../bootstrap/discovery-address.ts';
import { EnvironmentError, readPodIdentity, type PodIdentity } from '../bootstrap/pod-identity.ts';
import { parseDuration } from './duration.ts';
import { defaultRestartPolicy, type RestartPolicy } from '../proxy/proxy-supervisor.ts';
import { parseAppProbers, type AppProbers } from '../status/app-probers.ts';
import { parsePrometheusAnnotations, type AppMetricsTarget } from '../status/merged-metrics.ts';
import { readBoolean, readDuration, readHostPort, readJson } from './agent-env.ts';
import { readProxyConfigEnv } from './proxy-config-env.ts';
import { waitForReady } from '../wait/wait-for-ready.ts';

/** What `pilot-agent proxy sidecar` runs with: flags and environment, checked and defaulted. */
export interface AgentConfig {
  /** `sidecar` beside an app, or `router` for a gateway (the node id's first part). */
  proxyType: ProxyType;
  identity: PodIdentity;
  discovery: DiscoveryAddress;
  domain: string;
  concurrency: number;
  logLevel: string;
  statusPort: number;
  adminPort: number;
  binaryPath: string;
  configPath: string;
  /** terminationDrainDuration: how long the proxy drains after SIGTERM before it is stopped. */
  drainDurationMs: number;
  /** EXIT_ON_ZERO_ACTIVE_CONNECTIONS: stop once the proxy has no connections left, after
   *  MINIMUM_DRAIN_DURATION, instead of waiting the whole drain duration. */
  exitOnZeroActiveConnections: boolean;
  minDrainMs: number;
  restart: RestartPolicy;
  /** The local xDS proxy's unix socket, or undefined to dial istiod directly. */
  xdsSocket: string | undefined;
  /** The agent's own port (15020): merged metrics and the rewritten app probes. */
  agentPort: number;
  /** The DNS proxy, when ISTIO_META_DNS_CAPTURE is true. */
  dns: { address: DiscoveryAddress; resolvConf: string } | undefined;
  appProbers: AppProbers;
  appMetrics: AppMetricsTarget | undefined;
}

export type ProxyType = 'sidecar' | 'router';

interface Flags {
  discoveryAddress: DiscoveryAddress;
  domain?: string;
  concurrency: number;
  proxyLogLevel: string;
  statusPort: number;
  proxyAdminPort: number;
  binaryPath: string;
  configPath?: string;
  drainDuration: number;
  maxRestarts: number;
  restartBackoff: number;
  xdsProxy: boolean;
  xdsProxySocket?: string;
  agentPort: number;
  resolvConf: string;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'];

/** Parses the command line; calls runProxy for `proxy sidecar` and resolves to the exit code
 *  (2 for a bad flag, a missing value or a bad environment variable). */
export async function runCommandLine(
  argv: string[],
  env: NodeJS.ProcessEnv,
  runProxy: (config: AgentConfig) => Promise<number>,
  writeErr: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  let exitCode = 0;
  const program = new Command('pilot-agent')
    .description('Writes the proxy bootstrap, supervises the proxy, answers readiness.')
    .configureOutput({ writeErr })
    .exitOverride();
  program
    .command('proxy')
    .description('Runs a proxy and keeps it configured and supervised')
    .addArgument(new Argument('[type]', 'the kind of proxy').choices(['sidecar', 'router']).default('sidecar'))
    .addOption(new Option('--discovery-address <host:port>', 'xDS server (plaintext gRPC)').default(parseHostPort('istiod.istio-system.svc:15010'), 'istiod.istio-system.svc:15010').argParser(checked(parseHostPort)))
    .option('--domain <domain>', 'DNS domain of the pod (default NAMESPACE.svc.cluster.local)')
    .option('--concurrency <n>', 'proxy worker threads (0: one per core)', checked(count), 2)
    .addOption(new Option('--proxy-log-level <level>', 'proxy log level').choices(LOG_LEVELS).default('warning'))
    .option('--status-port <port>', 'port of the agent status server (/healthz/ready)', checked(port), 15021)
    .option('--proxy-admin-port <port>', 'port of the proxy admin API on 127.0.0.1', checked(port), 15000)
    .option('--binary-path <path>', 'proxy executable (mizzen-proxy, or envoy)', 'mizzen-proxy')
    .option('--config-path <dir>', 'folder for the generated bootstrap (default a per-pod folder under the temp dir)')
    .option('--drain-duration <duration>', 'how long the proxy drains after SIGTERM before it is stopped (terminationDrainDuration)', checked(parseDuration), 5_000)
    .option('--max-restarts <n>', 'restarts of a failing proxy in a row before the agent gives up', checked(count), defaultRestartPolicy.maxRestarts)
    .option('--xds-proxy-socket <path>', 'unix socket of the local xDS proxy the proxy dials (default CONFIG_PATH/XDS, or $XDS_PROXY_SOCKET)')
    .option('--no-xds-proxy', 'let the proxy dial istiod directly instead of through the agent')
    .option('--agent-port <port>', 'port of the agent server: merged /stats/prometheus and /app-health probes', checked(port), 15020)
    .option('--resolv-conf <file>', 'where the DNS proxy finds its upstream resolvers', '/etc/resolv.conf')
    .option('--restart-backoff <duration>', 'the first wait before restarting the proxy; it doubles each time', checked(parseDuration), defaultRestartPolicy.initialDelayMs)
    .action(async (type: ProxyType, flags: Flags, command: Command) => {
      const fromCommandLine = new Set(Object.keys(flags).filter((key) => command.getOptionValueSource(key) === 'cli'));
      exitCode = await runProxy(toConfig(type, flags, fromCommandLine, env));
    });
  program
    .command('wait')
    .description('Waits until the proxy is ready (holdApplicationUntilProxyStarts), exits 1 on timeout')
    .option('--timeoutSeconds <n>', 'how long to wait', checked(positive), 60)
    .option('--periodMillis <n>', 'time between attempts', checked(positive), 500)
    .option('--requestTimeoutMillis <n>', 'time one attempt may take', checked(positive), 500)
    .option('--url <url>', 'the readiness URL', checked(httpUrl), httpUrl('http://localhost:15021/healthz/ready'))
    .action(async (flags: { timeoutSeconds: number; periodMillis: number; requestTimeoutMillis: number; url: URL }) => {
      const options = { url: flags.url, timeoutMs: flags.timeoutSeconds * 1000, periodMs: flags.periodMillis, requestTimeoutMs: flags.requestTimeoutMillis };
      writeErr(`waiting for the proxy to be ready at ${flags.url.href} (up to ${flags.timeoutSeconds} s)\n`);
      try {
        await waitForReady(options, (line) => writeErr(`${line}\n`));
        exitCode = 0;
      } catch (error) {
        writeErr(`error: ${(error as Error).message}\n`);
        exitCode = 1;
      }
    });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof EnvironmentError) {
      writeErr(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

// Precedence: a flag on the command line, then PROXY_CONFIG, then the flag's default.
function toConfig(proxyType: ProxyType, flags: Flags, fromCommandLine: Set<string>, env: NodeJS.ProcessEnv): AgentConfig {
  const proxyConfig = readProxyConfigEnv(env.PROXY_CONFIG);
  // proxyMetadata is environment for the agent; the real environment wins.
  const identity = readPodIdentity({ ...proxyConfig.proxyMetadata, ...env });
  const pick = <T>(key: keyof Flags, fromProxyConfig: T | undefined, flag: T): T =>
    fromCommandLine.has(key) || fromProxyConfig === undefined ? flag : fromProxyConfig;
  const configPath = pick('configPath', proxyConfig.configPath, flags.configPath) ?? join(tmpdir(), 'mizzen-agent', `${identity.podName}.${identity.namespace}`);
  const dnsCapture = identity.meta.DNS_CAPTURE !== undefined && readBoolean({ ISTIO_META_DNS_CAPTURE: identity.meta.DNS_CAPTURE }, 'ISTIO_META_DNS_CAPTURE', false);
  return {
    proxyType,
    identity,
    discovery: pick('discoveryAddress', proxyConfig.discovery, flags.discoveryAddress),
    domain: flags.domain ?? `${identity.namespace}.svc.cluster.local`,
    concurrency: pick('concurrency', proxyConfig.concurrency, flags.concurrency),
    logLevel: flags.proxyLogLevel,
    statusPort: flags.statusPort,
    adminPort: pick('proxyAdminPort', proxyConfig.adminPort, flags.proxyAdminPort),
    binaryPath: pick('binaryPath', proxyConfig.binaryPath, flags.binaryPath),
    configPath,
    drainDurationMs: pick('drainDuration', proxyConfig.drainDurationMs, flags.drainDuration),
    exitOnZeroActiveConnections: readBoolean(env, 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS', false),
    minDrainMs: readDuration(env, 'MINIMUM_DRAIN_DURATION', 5_000),
    restart: { ...defaultRestartPolicy, maxRestarts: flags.maxRestarts, initialDelayMs: flags.restartBackoff },
    xdsSocket: flags.xdsProxy ? (flags.xdsProxySocket ?? (env.XDS_PROXY_SOCKET || join(configPath, 'XDS'))) : undefined,
    // Istio's ProxyConfig.statusPort is this port; the injector points the app probes at it.
    agentPort: pick('agentPort', proxyConfig.agentPort, flags.agentPort),
    dns: dnsCapture ? { address: readHostPort(env, 'DNS_PROXY_ADDR', '127.0.0.1:15053'), resolvConf: flags.resolvConf } : undefined,
    appProbers: parseAppProbers(readJson(env, 'ISTIO_KUBE_APP_PROBERS')),
    appMetrics: parsePrometheusAnnotations(readJson(env, 'ISTIO_PROMETHEUS_ANNOTATIONS')),
  };
}

// Commander reports an InvalidArgumentError with the flag's name and the value given.
function checked<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new Error('not a port number (1-65535)');
  return n;
}

function positive(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) === 0) throw new Error('not a positive whole number');
  return Number(text);
}

function httpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('not a URL');
  }
  if (url.protocol !== 'http:') throw new Error('only http:// URLs can be waited on');
  return url;
}

function count(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error('not a whole number');
  return Number(text);
}
