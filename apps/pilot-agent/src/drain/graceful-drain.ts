import { activeConnections, drainListeners } from '../proxy/proxy-admin.ts';

export interface DrainPolicy {
  adminPort: number;
  /** How long the proxy drains before it is stopped (terminationDrainDuration). */
  terminationDrainMs: number;
  /** EXIT_ON_ZERO_ACTIVE_CONNECTIONS: instead of the fixed wait, wait until no connection is
   *  left, after at least minDrainMs. */
  exitOnZeroActiveConnections: boolean;
  minDrainMs: number;
  pollMs: number;
}

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

/**
 * Istio's shutdown: the proxy stops accepting and drains its listeners, then the agent waits
 * the drain duration, or until the proxy's connections reach zero. Resolves when the proxy
 * may be stopped; `cut` (a second signal, the proxy gone) ends the wait early.
 */
export async function drainProxy(policy: DrainPolicy, log: Log, cut: Promise<unknown>): Promise<void> {
  try {
    await drainListeners(policy.adminPort);
    log('info', 'proxy listeners are draining');
  } catch (error) {
    log('warn', `could not drain the proxy's listeners: ${(error as Error).message}`);
  }
  let ended = false;
  void cut.then(() => (ended = true));
  const wait = (ms: number) => delayUnless(ms, cut);
  if (ended) return;
  if (!policy.exitOnZeroActiveConnections) {
    log('info', `graceful termination: waiting ${policy.terminationDrainMs} ms`);
    await wait(policy.terminationDrainMs);
    return;
  }
  log('info', `graceful termination: waiting at least ${policy.minDrainMs} ms, then until the proxy has no active connections`);
  await wait(policy.minDrainMs);
  while (!ended) {
    let count: number;
    try {
      count = await activeConnections(policy.adminPort);
    } catch (error) {
      log('warn', `cannot count the proxy's active connections, stopping it now: ${(error as Error).message}`);
      return;
    }
    if (count === 0) {
      log('info', 'the proxy has no active connections left');
      return;
    }
    log('info', `the proxy still has ${count} active connections`);
    await wait(policy.pollMs);
  }
}

/** Waits ms, or less when `cut` settles first; no timer is left behind either way. */
function delayUnless(ms: number, cut: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void cut.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
