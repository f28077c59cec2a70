import { describe, expect, it } from 'vitest';
import type { ProcessRecord } from './mesh-state.ts';
import { containerSummary, istiodSummary, readyCount, syncSummary } from './pod-status.ts';

const proc = (container: string, extra: Partial<ProcessRecord> = {}): ProcessRecord => ({ role: 'app', pod: 'p', container, pid: 1, startTime: '1', log: '/l', state: 'running', ...extra });
const row = (states: Partial<Record<'cds' | 'lds' | 'eds' | 'rds', string>>) => ({ name: 'p.default', cluster: 'Kubernetes', cds: 'SYNCED', lds: 'SYNCED', eds: 'SYNCED', rds: 'SYNCED', ecds: 'NOT SENT', istiod: 'x', version: '1', ...states });

describe('pod status', () => {
  it('says Running when every container runs and never restarted', () => {
    expect(containerSummary([proc('app'), proc('istio-proxy')])).toBe('Running');
  });

  it('names a container waiting to restart, its restarts and its last exit', () => {
    const waiting = proc('app', { state: 'waiting', restarts: 3, lastExit: { code: 127, signal: null, at: '' } });
    expect(containerSummary([waiting, proc('istio-proxy')])).toBe('app: CrashLoopBackOff (3 restarts, last exit code 127)');
    expect(containerSummary([proc('app', { restarts: 1, lastExit: { code: null, signal: 'SIGKILL', at: '' } })])).toBe('app: Running (1 restarts, last exit SIGKILL)');
  });

  it('counts the containers ready as kubectl does: running, and passing their readiness probes', () => {
    const agent = proc('istio-proxy', { role: 'agent' });
    expect(readyCount([proc('app'), agent], true)).toBe('2/2');
    expect(readyCount([proc('app'), agent], false)).toBe('1/2');
    expect(readyCount([proc('app', { ready: false, probe: 'HTTP 503 from /ready' }), agent], true)).toBe('1/2');
    expect(readyCount([proc('app', { state: 'waiting' }), proc('worker', { ready: true }), agent], true)).toBe('2/3');
    expect(containerSummary([proc('app', { ready: false, probe: 'HTTP 503 from /ready' })])).toBe('app: Running (0 restarts, not ready: HTTP 503 from /ready)');
  });

  it('says how istiod runs under the runner: its pid, restarts and last exit', () => {
    expect(istiodSummary([proc('app')])).toBe('not started');
    const istiod: ProcessRecord = { role: 'istiod', pid: 42, startTime: '1', log: '/l', state: 'running' };
    expect(istiodSummary([proc('app'), istiod])).toBe('Running (pid 42, 0 restarts)');
    const restarting = { ...istiod, state: 'waiting', restarts: 2, lastExit: { code: null, signal: 'SIGKILL', at: '2026-11-25T18:00:00.000Z' } };
    expect(istiodSummary([restarting])).toBe('CrashLoopBackOff (pid 42, 2 restarts, last exit SIGKILL at 2026-11-25T18:00:00.000Z)');
  });

  it('sums up a sidecar sync state, with the reason of a NACK', () => {
    expect(syncSummary(row({}))).toBe('SYNCED');
    expect(syncSummary(row({ rds: 'NOT SENT' }))).toBe('SYNCED');
    expect(syncSummary(row({ eds: 'STALE' }))).toBe('STALE EDS');
    expect(syncSummary(row({ lds: 'STALE (NACK: listener 0.0.0.0_80: bad port)' }))).toBe('NACK LDS: listener 0.0.0.0_80: bad port');
    expect(syncSummary(undefined)).toBe('NOT CONNECTED');
  });
});
