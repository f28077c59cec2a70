import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInNetns } from '@mizzen/net';
import { execFileText, mizzenctl, openTempDir, repoRoot } from './mesh-process.ts';

// A pod has no route off the machine, yet resolves names outside the mesh: its agent's DNS
// proxy forwards them to the runner's forwarder on the bridge, which asks the machine's
// resolvers from the host. The machine's resolver here is one the test runs on a loopback
// address of its own, named to the runner by `local up --resolv-conf`.

const outsideName = 'outside.example.test';
const outsideAddress = [192, 0, 2, 77];

/** Answers A questions for `outsideName`, NXDOMAIN for the rest; notes who asked what. */
function answer(query: Buffer): Buffer {
  const labels: string[] = [];
  let at = 12;
  for (; query[at] !== 0; at += query[at] + 1) labels.push(query.subarray(at + 1, at + 1 + query[at]).toString());
  const question = query.subarray(12, at + 5);
  const known = labels.join('.').toLowerCase() === outsideName && query.readUInt16BE(at + 1) === 1;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(known ? 0x8180 : 0x8183, 2); // a response; NXDOMAIN when unknown
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(known ? 1 : 0, 6);
  const record = known ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, ...outsideAddress]) : Buffer.alloc(0);
  return Buffer.concat([header, question, record]);
}

let resolver: Socket;
const asked: { name: string; from: string }[] = [];
let resolverAddress: string;
let configDir: string;
let stateDir: string;
let runner: ChildProcess | undefined;
let meshId: string;
let frontendPod: string;

describe('names outside a local mesh', () => {
  beforeAll(async () => {
    // An address of 127.0.0.0/8 nobody else uses, port 53 as resolv.conf implies.
    resolverAddress = `127.53.${randomInt(1, 255)}.${randomInt(1, 255)}`;
    resolver = createSocket('udp4');
    resolver.on('message', (query, from) => {
      if (query.length < 12) return;
      let name = '';
      for (let at = 12; query[at] !== 0 && at < query.length; at += query[at] + 1) name += `${name ? '.' : ''}${query.subarray(at + 1, at + 1 + query[at]).toString()}`;
      asked.push({ name, from: from.address });
      resolver.send(answer(query), from.port, from.address);
    });
    resolver.bind(53, resolverAddress);
    await once(resolver, 'listening');

    configDir = await openTempDir('mizzen-e2e-config-');
    await cp(join(repoRoot, 'samples/hello/manifests'), configDir, { recursive: true });
    // The copy is outside the repository: its commands name the samples' files in full.
    for (const file of await readdir(configDir)) {
      const path = join(configDir, file);
      await writeFile(path, (await readFile(path, 'utf8')).replace(/(?<=[\s[,])samples\//g, `${repoRoot}samples/`));
    }
    // The machine's resolv.conf, as far as the mesh is concerned.
    await writeFile(`${configDir}.resolv.conf`, `nameserver ${resolverAddress}\n`);
    stateDir = await openTempDir('mizzen-e2e-');
    runner = spawn(process.execPath, [mizzenctl, 'local', 'up', configDir, '--state-dir', stateDir, '--timeout', '90', '--resolv-conf', `${configDir}.resolv.conf`], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    runner.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: runner!.stdout! }).on('line', (line) => {
        const pod = /^(hello-frontend-\S+)\s/.exec(line);
        if (pod) frontendPod = pod[1];
        const id = /^Mesh (\w+) ready\./.exec(line);
        if (id) {
          meshId = id[1];
          resolve();
        }
      });
      runner!.once('exit', (code) => reject(new Error(`local up exited (${code}) before the mesh was ready:\n${stderr}`)));
    });
    await ready;
    expect(stderr).toContain(`names outside the mesh: through`);
  }, 150_000);

  afterAll(async () => {
    if (runner && runner.exitCode === null && runner.signalCode === null) {
      runner.kill('SIGTERM');
      await once(runner, 'exit');
    }
    if (stateDir) {
      await execFileText(process.execPath, [mizzenctl, 'local', 'down', '--state-dir', stateDir]);
      await rm(stateDir, { recursive: true, force: true });
    }
    if (configDir) {
      await rm(`${configDir}.resolv.conf`, { force: true });
      await rm(configDir, { recursive: true, force: true });
    }
    resolver?.close();
  }, 60_000);

  it("resolves a name outside the mesh in a pod, through its agent and the runner's forwarder", async () => {
    const netns = `mz-${meshId}-${frontendPod}`;
    // As the app's user, so that the capture rules hand the question to the agent.
    const lookup = await execInNetns(netns, 'setpriv', ['--reuid=65532', '--regid=65532', '--clear-groups', 'getent', 'ahostsv4', outsideName]);
    expect(lookup.code, lookup.stderr).toBe(0);
    expect(lookup.stdout).toContain(outsideAddress.join('.'));
    const questions = asked.filter((q) => q.name.toLowerCase() === outsideName);
    expect(questions.length).toBeGreaterThan(0);
    // Asked from the host, never from a pod address (a pod has no route to the resolver).
    for (const question of questions) expect(question.from).not.toMatch(/^10\.244\./);
    // A name nobody knows fails, rather than hanging.
    const unknown = await execInNetns(netns, 'setpriv', ['--reuid=65532', '--regid=65532', '--clear-groups', 'getent', 'ahostsv4', 'nowhere.example.test']);
    expect(unknown.code).toBe(2);
  }, 60_000);
});
