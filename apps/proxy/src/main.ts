#!/usr/bin/env node
import { flushCompileCache } from 'node:module';
import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '@mizzen/filters';
import { ConsoleLogger, LOG_LEVELS, type LogLevel } from './log/logger.ts';

// Invalid flags and invalid configuration exit with 2, as Envoy does for a bad config.
const EXIT_BAD_CONFIG = 2;
const EXIT_FAILURE = 1;

function integer(min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
    return Number(value);
  };
}

/** As Envoy: 0 means one worker per CPU. */
function concurrency(value: string): number {
  const n = integer(0)(value);
  return n === 0 ? availableParallelism() : n;
}

function fail(code: number, message: string): never {
  process.stderr.write(`mizzen-proxy: ${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('mizzen-proxy')
    .description('Envoy-compatible sidecar data plane driven by xDS.')
    .requiredOption('-c, --config-path <file>', 'Envoy v3 bootstrap, JSON or YAML')
    .option('--concurrency <n>', 'worker threads serving traffic (0: one per CPU)', concurrency, 1)
    .addOption(new Option('-l, --log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .option('--drain-time-s <seconds>', 'how long connections may drain on shutdown or listener replacement', integer(0), 600)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : EXIT_BAD_CONFIG);
    throw err;
  }
  const flags = program.opts<{ configPath: string; concurrency: number; logLevel: LogLevel; drainTimeS: number }>();
  const log = new ConsoleLogger(flags.logLevel);
  // Loaded after the flags are checked: the protobuf schemas take a moment to load.
  const { XdsError, releaseProtoRoot } = await import('@mizzen/xds/schema');
  const { compileBootstrap, readBootstrapFile } = await import('./bootstrap/bootstrap-config.ts');
  const { ProxyServer } = await import('./proxy-server.ts');
  let bootstrap;
  try {
    bootstrap = compileBootstrap(readBootstrapFile(flags.configPath));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof XdsError) fail(EXIT_BAD_CONFIG, `${flags.configPath}: ${err.message}`);
    throw err;
  }
  // With no ADS, nothing is checked against Envoy's protos after the bootstrap.
  if (!bootstrap.ads) releaseProtoRoot();
  const drainTimeMs = flags.drainTimeS * 1000;
  const proxy = new ProxyServer(bootstrap, { log, drainTimeMs, concurrency: flags.concurrency });
  try {
    await proxy.start();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof XdsError) fail(EXIT_BAD_CONFIG, `${flags.configPath}: ${err.message}`);
    fail(EXIT_FAILURE, `cannot start: ${(err as Error).message}`);
  }
  // Every module is loaded by now: a proxy that is killed outright still leaves a warm cache.
  flushCompileCache();
  log.info(`started with ${flags.configPath}${proxy.adminPort ? `; admin on port ${proxy.adminPort}` : ''}`);
  const onSignal = (signal: string): void => {
    log.info(`${signal}: draining for up to ${flags.drainTimeS}s`);
    void proxy.stop(drainTimeMs);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  await proxy.stopped;
  process.exit(0);
}

main(process.argv).catch((err: unknown) => fail(EXIT_FAILURE, (err as Error).stack ?? String(err)));
