import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import packageJson from '../package.json' with { type: 'json' };
import { buildBootstrap } from './bootstrap/bootstrap.ts';
import { resolveDiscoveryAddress } from './bootstrap/discovery-address.ts';
import type { AgentConfig } from './cli/command-line.ts';
import { log } from './log.ts';
import { describeExit, exitCodeOf, ProxyProcess } from './proxy/proxy-process.ts';
import { probeProxyReady } from './status/readiness.ts';
import { startStatusServer } from './status/status-server.ts';

/** Istio's name for the generated bootstrap, so that familiar paths still work. */
export const BOOTSTRAP_FILE = 'envoy-rev.json';

/** Writes the bootstrap, serves readiness, runs the proxy until it exits, and resolves to the
 *  exit code the agent should end with (the proxy's). */
export async function runAgent(config: AgentConfig): Promise<number> {
  let bootstrapFile: string;
  let statusServer: Server;
  // The status server starts first, so that a taken port fails before any proxy runs; the
  // readiness check looks the proxy up when it is asked.
  const current: { proxy?: ProxyProcess; stopping?: NodeJS.Signals } = {};
  const readiness = async () => {
    if (!current.proxy?.running) return { ready: false, reason: 'proxy is not running' };
    // A pod that is shutting down must stop receiving new traffic while it drains.
    if (current.stopping) return { ready: false, reason: `proxy is draining (${current.stopping})` };
    return probeProxyReady(config.adminPort);
  };
  try {
    bootstrapFile = await writeBootstrap(config);
    statusServer = await startStatusServer(config.statusPort, readiness);
  } catch (error) {
    log('error', (error as Error).message);
    return 1;
  }
  log('info', `status server on :${config.statusPort}, bootstrap ${bootstrapFile}`);

  const args = ['-c', bootstrapFile, '--concurrency', String(config.concurrency), '--log-level', config.logLevel];
  log('info', `starting proxy: ${config.binaryPath} ${args.join(' ')}`);
  const proxy = new ProxyProcess(config.binaryPath, args);
  current.proxy = proxy;
  const onSignal = (signal: NodeJS.Signals) => {
    log('info', `received ${signal}: stopping the proxy (drain up to ${config.drainDurationMs} ms, then kill)`);
    current.stopping = signal;
    proxy.stop(config.drainDurationMs);
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);

  const exit = await proxy.exited;
  process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
  log(exit.kind === 'exited' && exit.code === 0 ? 'info' : 'error', describeExit(exit));
  await new Promise((resolve) => {
    statusServer.close(resolve);
    statusServer.closeAllConnections();
  });
  return exitCodeOf(exit);
}

async function writeBootstrap(config: AgentConfig): Promise<string> {
  const ip = await resolveDiscoveryAddress(config.discovery);
  const bootstrap = buildBootstrap({
    identity: config.identity,
    domain: config.domain,
    discovery: { ...config.discovery, ip },
    adminPort: config.adminPort,
    statusPort: config.statusPort,
    concurrency: config.concurrency,
    drainDurationMs: config.drainDurationMs,
    binaryPath: config.binaryPath,
    configPath: config.configPath,
    proxyVersion: packageJson.version,
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
