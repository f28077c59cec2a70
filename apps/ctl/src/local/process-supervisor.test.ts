import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ProcessRecord } from './mesh-state.ts';
import { firstRestartDelayMs, healthyRunMs, maxRestartDelayMs, restartDelay, Supervisor } from './process-supervisor.ts';

describe('restartDelay', () => {
  it('starts at one second, doubles on quick failures up to its cap, and starts over after a healthy run', () => {
    expect(restartDelay(undefined, 0)).toBe(firstRestartDelayMs);
    expect(restartDelay(1_000, 50)).toBe(2_000);
    expect(restartDelay(16_000, 50)).toBe(maxRestartDelayMs);
    expect(restartDelay(maxRestartDelayMs, 50)).toBe(maxRestartDelayMs);
    expect(restartDelay(16_000, healthyRunMs)).toBe(firstRestartDelayMs);
  });
});

describe('Supervisor', () => {
  it('restarts a process that exits, recording the exit, and stops restarting when stopped', async () => {
    const record: ProcessRecord = { role: 'app', pod: 'p', container: 'c', pid: 0, startTime: null, log: '/dev/null' };
    const exits: (number | undefined)[] = [];
    const pids: number[] = [];
    let saves = 0;
    const twoExits = new Promise<void>((resolve) => {
      const supervisor = new Supervisor({
        save: () => saves++,
        onExit: (_, code, signal, restartIn) => {
          exits.push(restartIn);
          if (exits.length === 2) {
            supervisor.stop();
            resolve();
          }
          expect(code).toBe(3);
          expect(signal).toBeNull();
        },
      });
      supervisor.start(
        record,
        () => {
          const child = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
          pids.push(child.pid!);
          return child;
        },
        true,
      );
    });
    await twoExits;
    expect(exits).toEqual([firstRestartDelayMs, 2 * firstRestartDelayMs]);
    expect(pids).toHaveLength(2);
    expect(record).toMatchObject({ pid: pids[1], restarts: 2, state: 'waiting', lastExit: { code: 3, signal: null } });
    expect(saves).toBeGreaterThanOrEqual(3);
  }, 10_000);

  it('leaves a process that should not restart exited', async () => {
    const record: ProcessRecord = { role: 'istiod', pid: 0, startTime: null, log: '/dev/null' };
    const exited = new Promise<number | undefined>((resolve) => {
      new Supervisor({ save: () => undefined, onExit: (_, __, ___, restartIn) => resolve(restartIn) }).start(record, () => spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }), false);
    });
    expect(await exited).toBeUndefined();
    expect(record.state).toBe('exited');
  });
});
