import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInNetns } from '@mizzen/net';
import { startOwnMesh, stopOwnMesh, waitFor, type OwnMesh } from './mesh-control.ts';
import { podNode, repoRoot } from './mesh-process.ts';

// Istio's TCP traffic shifting task on the tcp-echo sample: a client in the sleep pod opens
// connections to tcp-echo:9000 (captured to its sidecar), sends a line and reads the answer,
// whose first word says which version served it. First every connection goes to v1, then 80%
// to v1 and 20% to v2.

const connections = 200;
const routing = 'tcp-echo-routing.yaml';

let own: OwnMesh | undefined;

/** Opens `count` connections one after another from the sleep pod, as its app's user (so
 *  that capture applies), and counts the first word of each answer. */
async function countVersions(count: number): Promise<Record<string, number>> {
  const sleep = [...own!.mesh.pods.keys()].find((n) => n.startsWith('sleep-'))!;
  const client = `const net = require('node:net');
    const once = () => new Promise((resolve) => {
      const socket = net.connect(9000, 'tcp-echo');
      let text = '';
      socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
      socket.on('data', (d) => { text += d; if (text.includes('\\n')) socket.end(); });
      socket.on('error', (e) => resolve('error:' + (e.code || e.message)));
      socket.on('close', () => resolve(text.split(' ')[0] || 'error:empty'));
      socket.write('hello\\n');
    });
    (async () => {
      const counts = {};
      for (let i = 0; i < ${count}; i++) { const v = await once(); counts[v] = (counts[v] || 0) + 1; }
      console.log(JSON.stringify(counts));
    })();`;
  const result = await execInNetns(`mz-${own!.mesh.id}-${sleep}`, 'setpriv', ['--reuid=65532', '--regid=65532', '--clear-groups', '--', await podNode(own!.stateDir, own!.mesh.id), '-e', client]);
  if (result.code !== 0) throw new Error(`client in ${sleep}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, number>;
}

async function applyRouting(...files: string[]): Promise<void> {
  // FILE#KIND takes only the documents of that kind from the file.
  const texts = await Promise.all(
    files.map(async (name) => {
      const [file, kind] = name.split('#');
      const text = await readFile(join(repoRoot, 'samples/tcp-echo/networking', file), 'utf8');
      return kind === undefined ? text : text.split(/^---$/m).filter((doc) => new RegExp(`^kind: ${kind}$`, 'm').test(doc)).join('\n---\n');
    }),
  );
  await writeFile(join(own!.configDir, routing), texts.join('\n---\n'));
}

describe('TCP traffic shifting (tcp-echo)', () => {
  beforeAll(async () => {
    own = await startOwnMesh('samples/tcp-echo/manifests');
  }, 150_000);

  afterAll(async () => {
    if (own) await stopOwnMesh(own);
  }, 60_000);

  it('spreads connections over both versions with no routing', async () => {
    const counts = await countVersions(40);
    expect(counts).toEqual({ one: expect.any(Number), two: expect.any(Number) });
  }, 60_000);

  it('sends every connection to v1', async () => {
    await applyRouting('tcp-echo-all-v1.yaml');
    const applied = await waitFor('all connections to v1', async () => ((await countVersions(20)).one === 20 ? true : undefined), 30_000, 200);
    console.log(`tcp-echo all to v1 took effect within ${applied.ms} ms of the file being written`);
    expect(await countVersions(connections)).toEqual({ one: connections });
  }, 90_000);

  it('sends 80% of connections to v1 and 20% to v2', async () => {
    // The DestinationRule stays; the VirtualService is replaced by the weighted one.
    await applyRouting('tcp-echo-all-v1.yaml#DestinationRule', 'tcp-echo-20-v2.yaml');
    let last: Record<string, number> = {};
    const applied = await waitFor('a connection to v2', async () => ((last = await countVersions(20)).two ? true : undefined), 30_000, 200).catch((error: Error) => {
      throw new Error(`${error.message}; last counts ${JSON.stringify(last)}`);
    });
    console.log(`tcp-echo 80/20 took effect within ${applied.ms} ms of the file being written`);
    const counts = await countVersions(connections);
    expect(Object.keys(counts).sort()).toEqual(['one', 'two']);
    expect(counts.one + counts.two).toBe(connections);
    // 20% of 200 is 40, with a standard deviation of about 5.7: [15, 65] is beyond 4 of them.
    console.log(`tcp-echo 80/20 over ${connections} connections: v1 ${counts.one}, v2 ${counts.two}`);
    expect(counts.two).toBeGreaterThanOrEqual(15);
    expect(counts.two).toBeLessThanOrEqual(65);
  }, 90_000);
});
