import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteNetns, execInNetns, spawnInNetns } from '@mizzen/net';
import { waitForContainerPorts } from './container-ports.ts';

const netns = `mzt-ports-${randomBytes(4).toString('hex')}`;
let app: ChildProcess | undefined;
let late: ChildProcess | undefined;

describe('waitForContainerPorts', { timeout: 20_000 }, () => {
  beforeAll(async () => {
    await createNetns(netns);
    await execInNetns(netns, 'ip', ['link', 'set', 'lo', 'up']);
    const script = `require('node:net').createServer().listen(9090, '127.0.0.1', () => console.log('listening'))`;
    app = spawnInNetns(netns, process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(createInterface({ input: app.stdout! }), 'line');
  }, 20_000);

  afterAll(async () => {
    for (const child of [app, late]) {
      if (child && child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    await deleteNetns(netns);
  });

  it('resolves once the ports accept connections on the pod loopback', async () => {
    await waitForContainerPorts(netns, 'p', [9090], { timeoutMs: 5000, signal: new AbortController().signal });
  });

  it('waits for a port that opens later', async () => {
    const waiting = waitForContainerPorts(netns, 'p', [9092], { timeoutMs: 10_000, signal: new AbortController().signal });
    // The probe starts before the listener's Node process has even loaded, so it finds the
    // port closed first.
    const script = `require('node:net').createServer().listen(9092, '127.0.0.1', () => console.log('listening'))`;
    late = spawnInNetns(netns, process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(createInterface({ input: late.stdout! }), 'line');
    await waiting;
  });

  it('names the port nothing listens on', async () => {
    await expect(waitForContainerPorts(netns, 'p', [9090, 9091], { timeoutMs: 300, signal: new AbortController().signal })).rejects.toThrow(
      'pod p: nothing listens on container port 9091 after 0.3s',
    );
  });
});
