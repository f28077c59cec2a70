import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning, processStartTime, startProcess, stopGroups } from './process-group.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mizzenctl-group-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('process groups', { timeout: 20_000 }, () => {
  it('stops a process and what it started, even when the leader ignores SIGTERM', async () => {
    const log = join(dir, 'group.log');
    // The leader ignores SIGTERM and starts a grandchild; both must go.
    const script = `trap '' TERM; sleep 300 & echo "child $!"; wait`;
    const leader = startProcess({ argv: ['sh', '-c', script], env: { PATH: process.env.PATH }, cwd: dir, logFile: log });
    const ref = { pid: leader.pid!, startTime: processStartTime(leader.pid!) };
    const exited = once(leader, 'exit');
    let text = '';
    while (!/child \d+/.test(text)) text = await readFile(log, 'utf8').catch(() => '');
    const grandchild = { pid: Number(/child (\d+)/.exec(text)![1]), startTime: null };
    expect(isRunning(ref)).toBe(true);
    expect(isRunning(grandchild)).toBe(true);

    expect(await stopGroups([ref], 300)).toBe(true);
    await exited;
    expect(isRunning(ref)).toBe(false);
    expect(isRunning(grandchild)).toBe(false);
  });

  it('leaves alone a pid that now belongs to another process', async () => {
    const ref = { pid: process.pid, startTime: 'not-my-start-time' };
    expect(isRunning(ref)).toBe(false);
    await stopGroups([ref], 10);
    expect(processStartTime(process.pid)).not.toBeNull();
  });
});
