#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { splitHostPort } from './host-port.ts';
import { DEFAULT_TLS_CERT_FILE, DEFAULT_TLS_KEY_FILE, startWebhooks, type WebhookFlags } from './webhooks/start-webhooks.ts';

// A bad flag or value exits with 2, as command line tools do for usage errors.
const usageError = 2;

function address(value: string): string {
  try {
    splitHostPort(value);
    return value;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

const program = new Command('istiod')
  .description('Control plane: Istio config in, Envoy xDS out.')
  .addOption(new Option('--config-dir <dir>', 'folder of Kubernetes YAML to serve (repeatable, read recursively, watched)').argParser((value: string, previous: string[] = []) => [...previous, value]))
  .addOption(new Option('--kubeconfig <file>', 'follow the cluster of this kubeconfig through its API (in a pod, the in-cluster config is used by default)').conflicts('configDir'))
  .addOption(new Option('--xds-address <host:port>', 'where to serve ADS (plaintext gRPC)').default('0.0.0.0:15010').argParser(address))
  .addOption(new Option('--http-address <host:port>', 'where to serve the /debug endpoints').default('0.0.0.0:8080').argParser(address))
  .addOption(new Option('--webhook-address <host:port>', 'where to serve the /inject and /validate webhooks (HTTPS)').default('0.0.0.0:15017').argParser(address))
  .addOption(new Option('--tls-cert-file <file>', 'certificate chain (PEM) of the webhooks').default(DEFAULT_TLS_CERT_FILE))
  .addOption(new Option('--tls-key-file <file>', 'private key (PEM) of the webhooks').default(DEFAULT_TLS_KEY_FILE))
  .addOption(new Option('--meshConfig <file>', "Istio's mesh config, whose defaultConfig injected sidecars get"))
  .addOption(new Option('--monitoring-address <host:port>', 'where to serve Prometheus /metrics').default('0.0.0.0:15014').argParser(address))
  .exitOverride()
  .configureOutput({ outputError: (message, write) => write(message) });

try {
  program.parse();
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit with 0; everything else is a usage error.
    process.exit(error.exitCode === 0 ? 0 : usageError);
  }
  throw error;
}

const options = program.opts<{ configDir?: string[]; kubeconfig?: string; xdsAddress: string; httpAddress: string; monitoringAddress: string }>();
// Metrics on the default port are a convenience: when something else holds it (a second
// istiod on the machine), istiod runs without them. An address given on purpose must work.
const monitoring = { address: options.monitoringAddress, optional: program.getOptionValueSource('monitoringAddress') === 'default' };
if (!options.configDir && !options.kubeconfig && !process.env.KUBERNETES_SERVICE_HOST) {
  console.error('error: give --config-dir <dir> or --kubeconfig <file> (or run in a cluster)');
  process.exit(usageError);
}

try {
  // Loaded after the flags are checked: the Envoy protos take a moment to load.
  const { startIstiod } = await import('./server.ts');
  const istiod = await startIstiod({ configDirs: options.configDir ?? [], kubeconfig: options.kubeconfig, xdsAddress: options.xdsAddress, httpAddress: options.httpAddress, monitoring });
  // Without a certificate at Istio's default paths (off a cluster), istiod runs without webhooks.
  const certificateGiven = ['tlsCertFile', 'tlsKeyFile'].some((flag) => program.getOptionValueSource(flag) === 'cli');
  const webhooks = await startWebhooks(program.opts<WebhookFlags>(), istiod.source.store, { required: certificateGiven, log: (message) => console.log(message) });
  const stop = () => {
    console.log('istiod: shutting down');
    void Promise.all([istiod.close(), webhooks.close()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`istiod: ${(error as Error).message}`);
  process.exit(1);
}
