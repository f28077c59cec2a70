import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { NetError } from './ip-command.ts';
import { originalDestination, socketMark } from './original-destination.ts';
import { listenTransparent } from './transparent-listener.ts';

// These tests run as root: each builds network namespaces of its own, installs the capture
// rules of iptables-init in them, and sends real connections through the rules.
const exec = promisify(execFile);
const probe = fileURLToPath(new URL('./testdata/destination-probe.ts', import.meta.url));
const iptablesInit = fileURLToPath(new URL('../../../node_modules/.bin/iptables-init', import.meta.url));

let count = 0;
const run = `${process.pid}-${Math.floor(Math.random() * 1e6)}`;

interface Pods {
  pod: string;
  peer: string;
  /** The pod's end of the veth pair, and the peer's. */
  podIp: { v4: string; v6: string };
  peerIp: { v4: string; v6: string };
}

/** Two fresh namespaces joined by a veth pair, with IPv4 and IPv6 addresses; removed when the
 *  test ends, pass or fail. */
async function podAndPeer(onFinished: (cleanup: () => Promise<void>) => void): Promise<Pods> {
  const n = count++;
  const pod = `mznet-${run}-${n}-pod`;
  const peer = `mznet-${run}-${n}-peer`;
  const [a, b] = [1 + Math.floor(Math.random() * 250), 1 + Math.floor(Math.random() * 250)];
  const pods = {
    pod,
    peer,
    podIp: { v4: `10.${a}.${b}.1`, v6: `fd00:${a}:${b}::1` },
    peerIp: { v4: `10.${a}.${b}.2`, v6: `fd00:${a}:${b}::2` },
  };
  for (const netns of [pod, peer]) {
    await exec('ip', ['netns', 'add', netns]);
    onFinished(() => exec('ip', ['netns', 'del', netns]).then(() => undefined));
    await exec('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  }
  await exec('ip', ['-n', pod, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer]);
  for (const [netns, ip] of [[pod, pods.podIp], [peer, pods.peerIp]] as const) {
    await exec('ip', ['-n', netns, 'addr', 'add', `${ip.v4}/24`, 'dev', 'eth0']);
    await exec('ip', ['-n', netns, '-6', 'addr', 'add', `${ip.v6}/64`, 'dev', 'eth0', 'nodad']);
    await exec('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
  }
  return pods;
}

async function applyCapture(netns: string, args: string[]): Promise<void> {
  const result = await inNetns(netns, process.execPath, [iptablesInit, ...args]);
  if (result.code !== 0) throw new Error(`iptables-init ${args.join(' ')} failed: ${result.stderr}`);
}

/** Starts the probe listener in a namespace; stopped when the test ends. */
async function startProbe(context: TestContext, netns: string, mode: 'redirect' | 'transparent', port: number, host: string): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, probe, mode, String(port), host]);
  const closed = once(child, 'close');
  // Waits for the exit, so that the next test can listen on the same port.
  context.onTestFinished(async () => {
    child.kill('SIGKILL');
    await closed;
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
    child.on('close', (code) => reject(new Error(`probe exited with ${code}: ${stderr}`)));
  });
}

function inNetns(netns: string, command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', netns, command, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface ProbeAnswer {
  local: { address: string; port: number };
  original: { address: string; port: number; family: number } | { error: string; code: string };
  mark: number;
}

/** Connects from a namespace (bash's /dev/tcp: a plain connection) and parses the probe's answer. */
async function call(netns: string, host: string, port: number): Promise<ProbeAnswer> {
  const result = await inNetns(netns, 'bash', ['-c', 'exec 3<>"/dev/tcp/$0/$1" && cat <&3', host, String(port)]);
  if (result.code !== 0) throw new Error(`connection to ${host}:${port} from ${netns} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as ProbeAnswer;
}

const OUTBOUND = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-b', '', '--dual-stack'];

describe('originalDestination', { timeout: 30_000 }, () => {
  // One pod with the outbound capture rules for the redirect tests; each starts its own listener.
  let pods: Pods;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    pods = await podAndPeer((cleanup) => cleanups.push(cleanup));
    await applyCapture(pods.pod, OUTBOUND);
  }, 30_000);
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('reads where a REDIRECTed IPv4 connection was going', async (context) => {
    await startProbe(context, pods.pod, 'redirect', 15001, '0.0.0.0');

    const answer = await call(pods.pod, pods.peerIp.v4, 8080);
    expect(answer.local).toEqual({ address: '127.0.0.1', port: 15001 });
    expect(answer.original).toEqual({ address: pods.peerIp.v4, port: 8080, family: 4 });
    expect(answer.mark).toBe(0);
  });

  it('reads where a REDIRECTed IPv6 connection was going', async (context) => {
    await startProbe(context, pods.pod, 'redirect', 15001, '::');

    const answer = await call(pods.pod, pods.peerIp.v6, 9443);
    expect(answer.local).toEqual({ address: '::1', port: 15001 });
    expect(answer.original).toEqual({ address: pods.peerIp.v6, port: 9443, family: 6 });
  });

  it('reads an IPv4 destination on a dual-stack listener', async (context) => {
    await startProbe(context, pods.pod, 'redirect', 15001, '::');

    const answer = await call(pods.pod, pods.peerIp.v4, 5432);
    expect(answer.local).toEqual({ address: '::ffff:127.0.0.1', port: 15001 });
    expect(answer.original).toEqual({ address: pods.peerIp.v4, port: 5432, family: 4 });
  });

  it('says clearly that a connection was not redirected', async (context) => {
    // A namespace without NAT rules, where conntrack tracks nothing.
    const bare = await podAndPeer((cleanup) => context.onTestFinished(cleanup));
    await startProbe(context, bare.pod, 'redirect', 15001, '0.0.0.0');

    const answer = await call(bare.pod, '127.0.0.1', 15001);
    expect(answer.original).toEqual({ code: 'ENOENT', error: expect.stringMatching(/^original destination of the connection from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:15001: the connection was not redirected .*\[ENOENT, errno 2\]$/) });
  });

  it('rejects a socket that has no file descriptor', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.destroy();
    expect(() => originalDestination(socket)).toThrow(NetError);
    expect(() => socketMark(socket)).toThrow(/no file descriptor/);
    server.close();
  });
});

describe('listenTransparent', { timeout: 30_000 }, () => {
  it('accepts a connection TPROXY delivers, keeping its original destination as the local address', async (context) => {
    const pods = await podAndPeer((cleanup) => context.onTestFinished(cleanup));
    await applyCapture(pods.pod, ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'TPROXY', '-i', '', '-b', '*']);
    await startProbe(context, pods.pod, 'transparent', 15006, '0.0.0.0');

    const answer = await call(pods.peer, pods.podIp.v4, 9080);
    expect(answer.local).toEqual({ address: pods.podIp.v4, port: 9080 });
  });

  it('accepts an IPv6 connection TPROXY delivers', async (context) => {
    const pods = await podAndPeer((cleanup) => context.onTestFinished(cleanup));
    await applyCapture(pods.pod, ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'TPROXY', '-i', '', '-b', '*', '--dual-stack']);
    await startProbe(context, pods.pod, 'transparent', 15006, '::');

    const answer = await call(pods.peer, pods.podIp.v6, 9443);
    expect(answer.local).toEqual({ address: pods.podIp.v6, port: 9443 });
  });

  it('names a bad host or port', () => {
    expect(() => listenTransparent(15006, 'localhost')).toThrow('transparent listener: host "localhost" is not a numeric IPv4 or IPv6 address');
    expect(() => listenTransparent(70000)).toThrow('port 70000 is not an integer from 0 to 65535');
  });

  it('names the system call that failed, with its errno', async () => {
    const first = listenTransparent(0, '127.0.0.1');
    await once(first, 'listening');
    const { port } = first.address() as AddressInfo;
    expect(() => listenTransparent(port, '127.0.0.1')).toThrow(
      new RegExp(`^transparent listener on 127\\.0\\.0\\.1:${port}: bind: Address already in use \\(EADDRINUSE\\) \\[EADDRINUSE, errno 98\\]$`),
    );
    first.close();
  });
});
