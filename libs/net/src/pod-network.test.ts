import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, deleteLink, linkExists } from './link.ts';
import { createMeshBridge, podAddress, type MeshSubnet } from './mesh-subnet.ts';
import { deleteNetns, execInNetns, listNetns, spawnInNetns } from './netns.ts';
import { createPodNetwork, deletePodNetwork, hostVethName } from './pod-network.ts';

const run = randomBytes(4).toString('hex');
const bridge = `mzt${run}`;
const podA = `mzt-${run}-a`;
const podB = `mzt-${run}-b`;
const children: ChildProcess[] = [];
let subnet: MeshSubnet;

/** A TCP server inside a namespace that greets and closes; resolves once it listens. */
async function startGreeter(netns: string, host: string, port: number): Promise<ChildProcess> {
  const script = `require('node:net').createServer((s) => s.end('hello from ' + process.argv[1])).listen(${port}, '${host}', () => console.log('listening'))`;
  const child = spawnInNetns(netns, process.execPath, ['-e', script, netns], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => ['exited'])])) as string[];
  expect(line).toBe('listening');
  return child;
}

function readFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, host);
    socket.setEncoding('utf8').on('data', (d: string) => (data += d));
    socket.on('error', reject).on('end', () => resolve(data));
  });
}

// These tests run `ip` and start Node processes: allow for a loaded machine.
describe('pod networks on a bridge', { timeout: 20_000 }, () => {
  beforeAll(async () => {
    subnet = await createMeshBridge(bridge);
    await createPodNetwork({ netns: podA, bridge, address: `${podAddress(subnet, 0)}/24` });
    await createPodNetwork({ netns: podB, bridge, address: `${podAddress(subnet, 1)}/24` });
  }, 20_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => once(c, 'exit')));
    await deletePodNetwork(podA);
    await deletePodNetwork(podB);
    await deleteLink(bridge);
    expect(await listNetns()).not.toContain(podA);
    expect(await linkExists(bridge)).toBe(false);
  }, 20_000);

  it('lets one pod reach another over TCP', async () => {
    await startGreeter(podA, podAddress(subnet, 0), 7070);
    const script = `require('node:net').connect(7070, '${podAddress(subnet, 0)}').setEncoding('utf8').on('data', (d) => process.stdout.write(d))`;
    const result = await execInNetns(podB, process.execPath, ['-e', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`hello from ${podA}`);
  });

  it('lets the host reach a pod through the bridge', async () => {
    await startGreeter(podB, podAddress(subnet, 1), 7071);
    expect(await readFrom(podAddress(subnet, 1), 7071)).toBe(`hello from ${podB}`);
  });

  it('keeps loopback private to the pod', async () => {
    await startGreeter(podA, '127.0.0.1', 7072);
    const script = `require('node:net').connect(7072, '127.0.0.1').on('error', (e) => console.log(e.code))`;
    const result = await execInNetns(podB, process.execPath, ['-e', script]);
    expect(result.stdout.trim()).toBe('ECONNREFUSED');
  });

  it('gives a pod no default route', async () => {
    const routes = await execInNetns(podA, 'ip', ['-j', 'route', 'show', 'default']);
    expect(routes.code).toBe(0);
    expect(JSON.parse(routes.stdout || '[]')).toEqual([]);
    const addrs = await execInNetns(podA, 'ip', ['-j', '-4', 'addr', 'show', 'eth0']);
    expect(addrs.stdout).toContain(podAddress(subnet, 0));
  });

  it('joins the host end of the veth to the bridge', async () => {
    expect(await linkExists(hostVethName(podA))).toBe(true);
  });
});

describe('mesh bridges', { timeout: 20_000 }, () => {
  it('puts meshes created at the same moment on different subnets', async () => {
    const bridges = [`mzt${run}x`, `mzt${run}y`, `mzt${run}z`];
    try {
      const subnets = await Promise.all(bridges.map((b) => createMeshBridge(b)));
      expect(new Set(subnets.map((s) => s.cidr)).size).toBe(3);
    } finally {
      for (const b of bridges) await deleteLink(b);
    }
  });
});

describe('bad input', { timeout: 20_000 }, () => {
  it('names a bad pod address', async () => {
    await expect(createPodNetwork({ netns: `mzt-${run}-bad`, bridge, address: '10.244.300.1/24' })).rejects.toThrow(/address "10.244.300.1\/24"/);
  });

  it('names a bridge name too long for Linux', async () => {
    await expect(createBridge('a-bridge-name-too-long', '10.244.1.1/24')).rejects.toThrow(/link name "a-bridge-name-too-long"/);
  });

  it('reports what ip said when the bridge does not exist', async () => {
    const netns = `mzt-${run}-nobridge`;
    await expect(createPodNetwork({ netns, bridge: `mzn${run}`, address: '10.244.1.2/24' })).rejects.toThrow(/ip link set .* master mzn/);
    expect(await listNetns()).not.toContain(netns);
  });

  it('treats deleting what is gone as done', async () => {
    await deleteNetns(`mzt-${run}-never`);
    await deleteLink(`mzn${run}`);
  });
});
