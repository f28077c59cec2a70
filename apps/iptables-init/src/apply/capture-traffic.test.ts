import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real traffic through real rules: a pod and a peer, two fresh network namespaces joined by a
// veth pair (so this needs root); each test applies its flags in the pod with the real bin,
// replacing the rules of the test before, and connects. Every address that a connection could
// reach has a listener saying who it is, so a connection that must not be redirected is proven
// by where it lands, not by waiting for a time-out.
const exec = promisify(execFile);
const main = fileURLToPath(new URL('../main.ts', import.meta.url));
const probe = fileURLToPath(new URL('./testdata/landing-probe.ts', import.meta.url));
const SIDECAR = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020'];

const run = `${process.pid}-${Math.floor(Math.random() * 1e6)}`;
let count = 0;

interface Pods {
  pod: string;
  peer: string;
  podIp: string;
  /** The peer's address, and a second address of the peer's on the same link. */
  peerIp: string;
  otherIp: string;
  subnet: string;
}

/** A pod and a peer joined by a veth pair; each clean-up step is handed to onFinished as soon as
 *  there is something to clean, so that a failure half-way leaves nothing behind. */
async function podAndPeer(onFinished: (cleanup: () => Promise<void>) => void): Promise<Pods> {
  const n = count++;
  const [pod, peer] = [`mzipc-${run}-${n}-pod`, `mzipc-${run}-${n}-peer`];
  const subnet = `10.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  const pods = { pod, peer, podIp: `${subnet}.1`, peerIp: `${subnet}.2`, otherIp: `${subnet}.3`, subnet: `${subnet}.0/24` };
  for (const netns of [pod, peer]) {
    await exec('ip', ['netns', 'add', netns]);
    onFinished(() => exec('ip', ['netns', 'del', netns]).then(() => undefined));
    await exec('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  }
  await exec('ip', ['-n', pod, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer]);
  await exec('ip', ['-n', pod, 'addr', 'add', `${pods.podIp}/24`, 'dev', 'eth0']);
  await exec('ip', ['-n', peer, 'addr', 'add', `${pods.peerIp}/24`, 'dev', 'eth0']);
  await exec('ip', ['-n', peer, 'addr', 'add', `${pods.otherIp}/24`, 'dev', 'eth0']);
  for (const netns of [pod, peer]) await exec('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
  return pods;
}

/** Runs a command in the namespace, as root or (with user) as that uid and gid. */
function inNetns(netns: string, command: string, args: string[], user?: { uid: number; gid: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const asUser = user === undefined ? [] : ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'];
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...asUser, command, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function applyCapture(netns: string, args: string[]): Promise<void> {
  const result = await inNetns(netns, process.execPath, [main, ...args]);
  if (result.code !== 0) throw new Error(`iptables-init ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
}

/** Starts listeners (`HOST:PORT=NAME`) in a namespace, handing onFinished how to stop them. */
async function listen(onFinished: (cleanup: () => Promise<void>) => void, netns: string, listeners: string[]): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, probe, ...listeners]);
  const closed = once(child, 'close');
  onFinished(async () => {
    child.kill('SIGKILL');
    await closed;
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
    child.on('close', (code) => reject(new Error(`listeners ${listeners.join(' ')} exited with ${code}: ${stderr}`)));
  });
}

interface Landing {
  at: string;
  original: string;
}

/** Connects from a namespace (bash's /dev/tcp: a plain connection) and says where it landed. */
async function connectFrom(netns: string, host: string, port: number, user?: { uid: number; gid: number }): Promise<Landing> {
  const result = await inNetns(netns, 'bash', ['-c', 'exec 3<>"/dev/tcp/$0/$1" && cat <&3', host, String(port)], user);
  if (result.code !== 0) throw new Error(`connection to ${host}:${port} from ${netns} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Landing;
}


describe('traffic through the capture rules, between a pod and a peer', { timeout: 30_000 }, () => {
  let pods: Pods;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    const onFinished = (cleanup: () => Promise<void>) => void cleanups.unshift(cleanup);
    pods = await podAndPeer(onFinished);
    // The proxy's two ports and the apps of the pod; the peer's real listeners, on both its addresses.
    await listen(onFinished, pods.pod, ['0.0.0.0:15001=outbound', '0.0.0.0:15006=inbound', ...[9080, 9090, 15021].map((port) => `0.0.0.0:${port}=app:${port}`)]);
    await listen(onFinished, pods.peer, [8080, 8081].flatMap((port) => [`${pods.peerIp}:${port}=peer:${port}`, `${pods.otherIp}:${port}=other:${port}`]));
  }, 30_000);
  // Listeners first, then the namespaces (cleanups runs newest first).
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  describe('outbound', () => {
    it('sends the app’s connection to the peer to 15001, keeping its original destination', async () => {
      await applyCapture(pods.pod, SIDECAR);

      expect(await connectFrom(pods.pod, pods.peerIp, 8080)).toEqual({ at: 'outbound', original: `${pods.peerIp}:8080` });
      expect(await connectFrom(pods.pod, pods.peerIp, 8080, { uid: 1000, gid: 1000 })).toEqual({ at: 'outbound', original: `${pods.peerIp}:8080` });
    });

    it('lets the proxy’s own uid and gid reach the peer directly', async () => {
      await applyCapture(pods.pod, SIDECAR);

      expect((await connectFrom(pods.pod, pods.peerIp, 8080, { uid: 1337, gid: 1337 })).at).toBe('peer:8080');
      // Either id alone is enough.
      expect((await connectFrom(pods.pod, pods.peerIp, 8080, { uid: 1337, gid: 1000 })).at).toBe('peer:8080');
      expect((await connectFrom(pods.pod, pods.peerIp, 8080, { uid: 1000, gid: 1337 })).at).toBe('peer:8080');
    });

    it('lets an excluded outbound port (-o) reach the peer directly', async () => {
      await applyCapture(pods.pod, [...SIDECAR, '-o', '8081,9000']);

      expect((await connectFrom(pods.pod, pods.peerIp, 8081)).at).toBe('peer:8081');
      expect(await connectFrom(pods.pod, pods.peerIp, 8080)).toEqual({ at: 'outbound', original: `${pods.peerIp}:8080` });
    });

    it('lets an excluded CIDR (-x) reach the peer directly and redirects other addresses', async () => {
      await applyCapture(pods.pod, [...SIDECAR, '-x', `${pods.peerIp}/32,192.0.2.0/24`]);

      expect((await connectFrom(pods.pod, pods.peerIp, 8080)).at).toBe('peer:8080');
      expect(await connectFrom(pods.pod, pods.otherIp, 8080)).toEqual({ at: 'outbound', original: `${pods.otherIp}:8080` });
    });

    it('redirects only the CIDRs given to -i', async () => {
      await applyCapture(pods.pod, [...SIDECAR, '-i', `192.0.2.0/24,${pods.otherIp}/32`]);

      expect(await connectFrom(pods.pod, pods.otherIp, 8080)).toEqual({ at: 'outbound', original: `${pods.otherIp}:8080` });
      expect((await connectFrom(pods.pod, pods.peerIp, 8080)).at).toBe('peer:8080');
    });

    it('redirects only the ports given to -q', async () => {
      // As in Istio, -q adds ports to the CIDRs of -i, so it is used with -i empty.
      await applyCapture(pods.pod, [...SIDECAR, '-i', '', '-q', '8080,9000']);

      expect(await connectFrom(pods.pod, pods.peerIp, 8080)).toEqual({ at: 'outbound', original: `${pods.peerIp}:8080` });
      expect((await connectFrom(pods.pod, pods.peerIp, 8081)).at).toBe('peer:8081');
    });
  });

  describe('inbound', () => {
    it('sends the peer’s connection to a pod port to 15006, keeping its original destination, except the ports of -d', async () => {
      await applyCapture(pods.pod, SIDECAR);

      expect(await connectFrom(pods.peer, pods.podIp, 9080)).toEqual({ at: 'inbound', original: `${pods.podIp}:9080` });
      expect((await connectFrom(pods.peer, pods.podIp, 15021)).at).toBe('app:15021');
    });

    it('captures only the ports given to -b', async () => {
      await applyCapture(pods.pod, [...SIDECAR, '-b', '9080']);

      expect(await connectFrom(pods.peer, pods.podIp, 9080)).toEqual({ at: 'inbound', original: `${pods.podIp}:9080` });
      expect((await connectFrom(pods.peer, pods.podIp, 9090)).at).toBe('app:9090');
    });
  });
});
