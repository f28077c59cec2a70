// Reconnect delays: 500 ms doubling to 30 s, each spread by jitter so that proxies restarted
// together do not reconnect in lockstep.
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** 0.2 spreads each delay over +-20%. */
  jitter: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 500, maxMs: 30_000, jitter: 0.2 };

/** The delay before reconnect attempt `attempt` (0 for the first); `random` is in [0, 1). */
export function backoffDelay(attempt: number, random: number, policy: BackoffPolicy = defaultBackoff): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  const spread = base * policy.jitter * (2 * random - 1);
  return Math.round(Math.min(policy.maxMs, Math.max(0, base + spread)));
}
