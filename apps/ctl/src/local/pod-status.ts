import type { SyncRow } from '../proxy-status/sync-rows.ts';
import type { ProcessRecord } from './mesh-state.ts';

/** A pod's containers in a word or two, as `kubectl get pods` sums them up: `Running`, or for
 *  each container that is not simply running, what happened to it. */
export function containerSummary(processes: ProcessRecord[]): string {
  const troubled = processes.filter((p) => (p.state ?? 'running') !== 'running' || (p.restarts ?? 0) > 0);
  if (troubled.length === 0) return 'Running';
  return troubled
    .map((p) => {
      const exit = p.lastExit ? `, last exit ${p.lastExit.signal ?? `code ${p.lastExit.code}`}` : '';
      const state = p.state === 'waiting' ? 'CrashLoopBackOff' : p.state === undefined || p.state === 'running' ? 'Running' : p.state;
      return `${p.container}: ${state} (${p.restarts ?? 0} restarts${exit})`;
    })
    .join('; ');
}

/** One word for a sidecar's config from istiod: SYNCED when every type it was sent is
 *  acknowledged, else the first type that is not (STALE, or `NACK: reason`), NOT CONNECTED when
 *  istiod does not know the proxy. */
export function syncSummary(row: SyncRow | undefined): string {
  if (row === undefined) return 'NOT CONNECTED';
  const states: [string, string][] = [
    ['CDS', row.cds],
    ['LDS', row.lds],
    ['EDS', row.eds],
    ['RDS', row.rds],
  ];
  const off = states.find(([, state]) => state !== 'SYNCED' && state !== 'NOT SENT');
  if (!off) return 'SYNCED';
  const nack = /NACK: (.*)\)$/.exec(off[1]);
  return nack ? `NACK ${off[0]}: ${nack[1]}` : `${off[1]} ${off[0]}`;
}
