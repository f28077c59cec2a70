import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import packageJson from '../package.json' with { type: 'json' };
import { startAgentServers, type AgentServers } from './agent-servers.ts';
import { buildBootstrap } from './bootstrap/bootstrap.ts';
import { resolveDiscoveryAddress } from './bootstrap/discovery-address.ts';
import type { AgentConfig } from './cli/command-line.ts';
import { log } from './log.ts';
import { AgentMetrics } from './metrics/agent-metrics.ts';
import { drainProxy } from './drain/graceful-drain.ts';
import { describeExit, exitCodeOf, ProxyProcess } from './proxy/proxy-process.ts';
import { ProxySupervisor } from './proxy/proxy-supervisor.ts';
import { probeProxyReady } from './status/readiness.ts';

/** Istio's name for the generated bootstrap, so that familiar paths still work. */
export const BOOTSTRAP_FILE = 'envoy-rev.json';

/** How long a proxy may take to stop after the drain, before it is killed. */
const STOP_GRACE_MS = 2_000;

/** Writes the bootstrap, serves readiness, runs and supervises the proxy, drains it on SIGTERM,
 *  and resolves to the exit code the agent should end with: 0 after a requested stop, the
 *  proxy's failure otherwise. */
export async function runAgent(config: AgentConfig): Promise<number> {
  let bootstrapFile: string;
  let servers: AgentServers;
  const metrics = new AgentMetrics();
  // The servers start first, so that a taken port fails before any proxy runs; the readiness
  // check looks the proxy up when it is asked.
  const current: { supervisor?: ProxySupervisor; stopping?: NodeJS.Signals } = {};
  const readiness = async () => {
    if (!current.supervisor?.current.running) return { ready: false, reason: 'proxy is not running' };
    // A pod that is shutting down must stop receiving new traffic while it drains.
    if (current.stopping) return { ready: false, reason: `proxy is draining (${current.stopping})` };
    return probeProxyReady(config.adminPort);
  };
  try {
    const discoveryIp = await resolveDiscoveryAddress(config.discovery);
    bootstrapFile = await writeBootstrap(config, discoveryIp);
    servers = await startAgentServers(config, readiness, metrics, discoveryIp);
  } catch (error) {
    log('error', (error as Error).message);
    return 1;
  }
  log('info', `readiness on :${config.statusPort}, agent on :${config.agentPort}, bootstrap ${bootstrapFile}`);

  const args = ['-c', bootstrapFile, '--concurrency', String(config.concurrency), '--log-level', config.logLevel];
  let starts = 0;
  const supervisor = new ProxySupervisor(() => {
    if (starts++ > 0) metrics.increment('istio_agent_proxy_restarts_total', 'Times the agent restarted a proxy that exited unexpectedly');
    log('info', `starting proxy: ${config.binaryPath} ${args.join(' ')}`);
    return new ProxyProcess(config.binaryPath, args);
  }, config.restart, log);
  current.supervisor = supervisor;
  const secondSignal = Promise.withResolvers<void>();
  const onSignal = (signal: NodeJS.Signals) => {
    if (current.stopping) {
      log('info', `received ${signal} again: killing the proxy`);
      secondSignal.resolve();
      supervisor.stop(0);
      return;
    }
    current.stopping = signal;
    supervisor.holdRestarts();
    log('info', `received ${signal}: draining the proxy`);
    const policy = { adminPort: config.adminPort, terminationDrainMs: config.drainDurationMs, exitOnZeroActiveConnections: config.exitOnZeroActiveConnections, minDrainMs: config.minDrainMs, pollMs: 250 };
    void drainProxy(policy, log, Promise.race([secondSignal.promise, supervisor.ended])).then(() => {
      log('info', 'drain complete: stopping the proxy');
      supervisor.stop(STOP_GRACE_MS);
    });
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);

  const end = await supervisor.ended;
  process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
  await servers.close();
  if (!end.gaveUp) {
    log('info', `${describeExit(end.exit)}; the agent stops as asked`);
    return 0;
  }
  const code = exitCodeOf(end.exit);
  log('error', `the proxy cannot run (${describeExit(end.exit)}); the agent exits ${code || 1}`);
  return code || 1;
}

async function writeBootstrap(config: AgentConfig, ip: string): Promise<string> {
  const bootstrap = buildBootstrap({
    proxyType: config.proxyType,
    identity: config.identity,
    domain: config.domain,
    discovery: { ...config.discovery, ip },
    adminPort: config.adminPort,
    // Istio's ProxyConfig.statusPort is the agent's port (15020).
    statusPort: config.agentPort,
    concurrency: config.concurrency,
    drainDurationMs: config.drainDurationMs,
    binaryPath: config.binaryPath,
    configPath: config.configPath,
    proxyVersion: packageJson.version,
    xdsSocket: config.xdsSocket,
  });
  const file = join(config.configPath, BOOTSTRAP_FILE);
  try {
    await mkdir(config.configPath, { recursive: true });
    await writeFile(file, `${JSON.stringify(bootstrap, null, 2)}\n`);
  } catch (error) {
    throw new Error(`cannot write the bootstrap to ${file}: ${(error as Error).message}`, { cause: error });
  }
  return file;
}
