import type { SyncRow } from '../proxy-status/sync-rows.ts';
import type { ProcessRecord } from './mesh-state.ts';

/** A pod's containers in a word or two, as `kubectl get pods` sums them up: `Running`, or for
 *  each container that is not simply running, what happened to it. */
export function containerSummary(processes: ProcessRecord[]): string {
  const troubled = processes.filter((p) => (p.state ?? 'running') !== 'running' || (p.restarts ?? 0) > 0 || p.ready === false);
  if (troubled.length === 0) return 'Running';
  return troubled
    .map((p) => {
      const exit = p.lastExit ? `, last exit ${p.lastExit.signal ?? `code ${p.lastExit.code}`}` : '';
      const unready = p.ready === false && (p.state ?? 'running') === 'running' ? `, not ready: ${p.probe ?? 'no probe result yet'}` : '';
      return `${p.container}: ${stateWord(p)} (${p.restarts ?? 0} restarts${exit}${unready})`;
    })
    .join('; ');
}

/** kubectl's READY: the pod's containers ready out of all, a container being ready while it
 *  runs and its readiness probe (if any) passes; the sidecar's readiness is its agent's. */
export function readyCount(processes: ProcessRecord[], sidecarReady: boolean): string {
  const containers = processes.filter((p) => p.role !== 'istiod');
  const ready = containers.filter((p) => (p.state ?? 'running') === 'running' && (p.role === 'agent' ? sidecarReady : p.ready !== false));
  return `${ready.length}/${containers.length}`;
}

/** istiod as the runner supervises it: its state, pid, restarts and last exit. */
export function istiodSummary(processes: ProcessRecord[]): string {
  const istiod = processes.find((p) => p.role === 'istiod');
  if (!istiod) return 'not started';
  const exit = istiod.lastExit ? `, last exit ${istiod.lastExit.signal ?? `code ${istiod.lastExit.code}`} at ${istiod.lastExit.at}` : '';
  return `${stateWord(istiod)} (pid ${istiod.pid}, ${istiod.restarts ?? 0} restarts${exit})`;
}

/** The kubelet's words: waiting to restart after exits is CrashLoopBackOff. */
function stateWord(p: ProcessRecord): string {
  return p.state === 'waiting' ? 'CrashLoopBackOff' : p.state === undefined || p.state === 'running' ? 'Running' : p.state;
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
