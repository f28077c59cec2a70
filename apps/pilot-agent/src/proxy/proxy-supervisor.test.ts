import { describe, expect, it } from 'vitest';
import type { ProxyExit, ProxyProcess } from './proxy-process.ts';
import { defaultRestartPolicy, ProxySupervisor, restartDelay } from './proxy-supervisor.ts';

describe('restartDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const policy = { ...defaultRestartPolicy, initialDelayMs: 200, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => restartDelay(policy, n))).toEqual([200, 400, 800, 1000, 1000]);
  });
});

/** A stand-in process whose exit the test decides. */
function fakeProcess(): { process: ProxyProcess; exit: (exit: ProxyExit) => void; stopped: () => number } {
  const exited = Promise.withResolvers<ProxyExit>();
  let running = true;
  let stops = 0;
  const process = {
    exited: exited.promise,
    get running() {
      return running;
    },
    stop: () => void (stops += 1),
  } as unknown as ProxyProcess;
  return { process, exit: (exit) => ((running = false), exited.resolve(exit)), stopped: () => stops };
}

describe('ProxySupervisor', () => {
  const policy = { initialDelayMs: 1, maxDelayMs: 1, maxRestarts: 2, healthyRunMs: 1000 };

  it('counts failures in a row, and a long healthy run starts the count again', async () => {
    const started: ReturnType<typeof fakeProcess>[] = [];
    let now = 0;
    const logs: string[] = [];
    const supervisor = new ProxySupervisor(() => (started.push(fakeProcess()), started.at(-1)!.process), policy, (_l, m) => logs.push(m), () => now);
    const waitForStart = async (n: number) => {
      while (started.length < n) await new Promise((resolve) => setTimeout(resolve, 1));
    };
    started[0].exit({ kind: 'exited', code: 1 }); // failure 1
    await waitForStart(2);
    started[1].exit({ kind: 'exited', code: 1 }); // failure 2
    await waitForStart(3);
    now += 5000; // this one runs a long time before it fails: the count starts again
    started[2].exit({ kind: 'exited', code: 1 });
    await waitForStart(4);
    started[3].exit({ kind: 'exited', code: 1 }); // failure 2 of the new count
    await waitForStart(5);
    started[4].exit({ kind: 'signalled', signal: 'SIGSEGV' }); // failure 3: give up
    const end = await supervisor.ended;
    expect(end).toEqual({ exit: { kind: 'signalled', signal: 'SIGSEGV' }, gaveUp: true, restarts: 4 });
    expect(logs.at(-1)).toBe('proxy was killed by signal SIGSEGV; giving up after 2 restarts in a row');
  });

  it('restarts nothing once the agent stops the proxy', async () => {
    const started: ReturnType<typeof fakeProcess>[] = [];
    const supervisor = new ProxySupervisor(() => (started.push(fakeProcess()), started.at(-1)!.process), policy, () => {});
    supervisor.stop(100);
    expect(started[0].stopped()).toBe(1);
    started[0].exit({ kind: 'exited', code: 0 });
    expect(await supervisor.ended).toEqual({ exit: { kind: 'exited', code: 0 }, gaveUp: false, restarts: 0 });
    expect(started).toHaveLength(1);
  });
});
