// A worker thread of `--concurrency N`: the data plane only. The main thread owns ADS and
// admin, and sends every update it applied; this thread applies it the same way.
import { flushCompileCache } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { JsonObject } from '@mizzen/filters';
import { compileBootstrap } from '../bootstrap/bootstrap-config.ts';
import { ConsoleLogger } from '../log/logger.ts';
import { ProxyServer } from '../proxy-server.ts';
import { healthShareOf } from '../upstream/health-check-sharing.ts';
import type { FromWorker, ToWorker, WorkerData } from './worker-pool.ts';

const data = workerData as WorkerData;
const port = parentPort;
if (!port) throw new Error('worker-main runs only as a worker thread');

let deliver: ((typeUrl: string, resources: JsonObject[], version: string) => Promise<void>) | undefined;
const reply = (message: FromWorker): void => port.postMessage(message);

// The main thread checked this bootstrap against Envoy's protos already: no Root to parse here.
const proxy = new ProxyServer(compileBootstrap(data.bootstrap, { checked: true }), {
  log: new ConsoleLogger(data.logLevel, `worker ${data.index}`),
  drainTimeMs: data.drainTimeMs,
  concurrency: 1,
  role: 'worker',
  transport: (onResources) => {
    deliver = onResources;
    return { subscribe: () => {}, close: () => {} };
  },
});
// The main thread runs the health checks; this thread balances by its verdicts.
const health = healthShareOf(proxy.stats);
health.follow(data.health);

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'apply':
      if (!deliver) reply({ kind: 'reply', id: message.id, error: 'this worker takes no dynamic resources' });
      else deliver(message.typeUrl, message.resources, message.version).then(
        () => reply({ kind: 'reply', id: message.id }),
        (err: unknown) => reply({ kind: 'reply', id: message.id, error: (err as Error).message }),
      );
      break;
    case 'stats':
      proxy.refreshStats();
      reply({ kind: 'reply', id: message.id, stats: proxy.stats.entries() });
      break;
    case 'drain':
      void proxy.drainListeners().then(() => reply({ kind: 'reply', id: message.id }));
      break;
    case 'stop':
      void proxy.stop(message.drainMs).then(() => reply({ kind: 'reply', id: message.id }));
      break;
    case 'health':
      health.apply(message.update);
      break;
  }
});

proxy.start().then(
  () => {
    // A terminated worker writes nothing at exit: its modules go to the compile cache now.
    flushCompileCache();
    reply({ kind: 'started' });
  },
  (err: unknown) => reply({ kind: 'started', error: (err as Error).message }),
);
