import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, type TestContext } from 'vitest';

// These tests apply real rules with the real tools, each in a network namespace of its own
// (so they need root), and send real connections through them.
const exec = promisify(execFile);
const main = fileURLToPath(new URL('../main.ts', import.meta.url));
const probe = fileURLToPath(new URL('./testdata/capture-probe.ts', import.meta.url));
const SIDECAR = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020'];

let count = 0;

/** A fresh network namespace with loopback up, removed when the test ends, pass or fail. */
async function freshNetns({ onTestFinished }: TestContext): Promise<string> {
  const name = `mzipt-${process.pid}-${count++}`;
  await exec('ip', ['netns', 'add', name]);
  onTestFinished(() => exec('ip', ['netns', 'del', name]).then(() => undefined));
  await exec('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** Runs a command in the namespace, as root or (with uid) as that user and group. */
function inNetns(netns: string, command: string, args: string[], uid?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const asUser = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', netns, ...asUser, command, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const iptablesInit = (netns: string, args: string[]) => inNetns(netns, process.execPath, [main, ...args]);

/** iptables-save without its comments and counters, to compare states. */
async function saved(netns: string, tool = 'iptables-save'): Promise<string> {
  const { stdout } = await inNetns(netns, tool, []);
  return stdout.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/ \[\d+:\d+\]$/, '')).join('\n');
}

describe('applying capture rules in a network namespace', { timeout: 45_000 }, () => {
  it('installs the sidecar rules once, however often it runs, and cleans them all', async (context) => {
    const netns = await freshNetns(context);
    await inNetns(netns, 'iptables', ['-t', 'nat', '-A', 'OUTPUT', '-p', 'udp', '--dport', '9', '-j', 'RETURN']);
    const before = await saved(netns);

    const first = await iptablesInit(netns, SIDECAR);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const installed = await saved(netns);
    expect(installed).toContain(':ISTIO_OUTPUT -');
    expect(installed).toContain('-A OUTPUT -j ISTIO_OUTPUT');
    expect(installed).toContain('-A PREROUTING -p tcp -j ISTIO_INBOUND');
    expect(installed).toContain('-A ISTIO_INBOUND -p tcp -m tcp --dport 15021 -j RETURN');
    expect(installed).toContain('-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN');
    expect(installed).toContain('-A ISTIO_OUTPUT -j ISTIO_REDIRECT');

    expect((await iptablesInit(netns, SIDECAR)).code).toBe(0);
    expect(await saved(netns)).toBe(installed);

    expect((await iptablesInit(netns, ['clean'])).code).toBe(0);
    expect(await saved(netns)).toBe(before);
    expect(before).toContain('-A OUTPUT -p udp -m udp --dport 9 -j RETURN');
  });

  it('replaces the rules of an earlier run with different flags', async (context) => {
    const netns = await freshNetns(context);
    const tproxyRun = await iptablesInit(netns, [...SIDECAR, '-m', 'TPROXY', '-k', 'virt0']);
    expect(tproxyRun.stderr).toBe('');
    const tproxy = await saved(netns);
    expect(tproxy).toMatch(/-A ISTIO_TPROXY ! -d 127.0.0.1\/32 -p tcp -j TPROXY --on-port 15006 .*--tproxy-mark 0x539\/0xffffffff/);
    expect(tproxy).toContain('-A PREROUTING -i virt0 -j ISTIO_REDIRECT');
    expect((await inNetns(netns, 'ip', ['-4', 'rule', 'show'])).stdout).toContain('fwmark 0x539 lookup 133');

    expect((await iptablesInit(netns, [...SIDECAR, '-b', '9080', '-k', 'virt0'])).code).toBe(0);
    const redirect = await saved(netns);
    expect(redirect).not.toContain('ISTIO_TPROXY');
    expect(redirect).not.toContain('ISTIO_DIVERT');
    expect(redirect).toContain('-A ISTIO_INBOUND -p tcp -m tcp --dport 9080 -j ISTIO_IN_REDIRECT');
    expect(redirect.match(/-A PREROUTING -i virt0 -j RETURN/g)).toHaveLength(1);

    expect((await iptablesInit(netns, ['clean', '-m', 'TPROXY', '-k', 'virt0'])).code).toBe(0);
    expect(await saved(netns)).not.toMatch(/ISTIO_|virt0/);
    expect((await inNetns(netns, 'ip', ['-4', 'rule', 'show'])).stdout).not.toContain('lookup 133');
  });

  it('writes IPv6 rules for a dual-stack pod, and cleans both families', async (context) => {
    const netns = await freshNetns(context);
    const result = await iptablesInit(netns, [...SIDECAR, '--dual-stack']);
    expect(result.stderr).toBe('');
    const v6 = await saved(netns, 'ip6tables-save');
    expect(v6).toContain('-A ISTIO_OUTPUT -s ::6/128 -o lo -j RETURN');
    expect(v6).toContain('-A ISTIO_OUTPUT -d ::1/128 -j RETURN');
    expect(v6).toContain('-A ISTIO_OUTPUT -j ISTIO_REDIRECT');
    expect(await saved(netns)).toContain('-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN');
    expect((await inNetns(netns, 'ip', ['-6', 'addr', 'show', 'dev', 'lo'])).stdout).toContain('inet6 ::6/128');

    const dryClean = await iptablesInit(netns, ['clean', '--dry-run']);
    const v6Clean = dryClean.stdout.slice(dryClean.stdout.indexOf('# IPv6: ip6tables-restore --noflush\n*nat\n'));
    expect(v6Clean).toContain('-D OUTPUT -j ISTIO_OUTPUT\n');
    expect(v6Clean).toContain('-X ISTIO_OUTPUT\n');
    expect(await saved(netns, 'ip6tables-save')).toBe(v6);

    expect((await iptablesInit(netns, ['clean'])).code).toBe(0);
    expect(await saved(netns, 'ip6tables-save')).not.toContain('ISTIO_');
    expect(await saved(netns)).not.toContain('ISTIO_');
  });

  it('puts the IPv4 tables back when the IPv6 family fails after them', async (context) => {
    const netns = await freshNetns(context);
    await inNetns(netns, 'iptables', ['-t', 'nat', '-A', 'OUTPUT', '-p', 'udp', '--dport', '9', '-j', 'RETURN']);
    const before = await saved(netns);
    const before6 = await saved(netns, 'ip6tables-save');

    const failing = fileURLToPath(new URL('./testdata/apply-failing-ipv6.ts', import.meta.url));
    const result = await inNetns(netns, process.execPath, [failing]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ip6tables-restore');
    expect(result.stderr).toContain('failed');
    expect(result.stderr).toContain('the tables were put back as they were');
    expect(await saved(netns)).toBe(before);
    expect(await saved(netns, 'ip6tables-save')).toBe(before6);
  });

  it('applies nothing when a flag is invalid', async (context) => {
    const netns = await freshNetns(context);
    const before = await saved(netns);
    const result = await iptablesInit(netns, [...SIDECAR, '-x', '10.0.0.0/40']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--istio-service-exclude-cidr: "10.0.0.0/40"');
    expect(await saved(netns)).toBe(before);
  });

  it('redirects the app’s outbound calls to 15001 and the proxy’s calls to its own pod to 15006', async (context) => {
    const netns = await freshNetns(context);
    // A pod address, and a neighbour on its link that nothing answers for.
    await exec('ip', ['-n', netns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    await exec('ip', ['-n', netns, 'addr', 'add', '10.9.0.1/24', 'dev', 'v0']);
    await exec('ip', ['-n', netns, 'link', 'set', 'v0', 'up']);
    await exec('ip', ['-n', netns, 'link', 'set', 'v1', 'up']);
    expect((await iptablesInit(netns, SIDECAR)).code).toBe(0);

    const server = spawn('ip', ['netns', 'exec', netns, process.execPath, probe, '0.0.0.0:15001=outbound', '0.0.0.0:15006=inbound', '10.9.0.1:80=app']);
    context.onTestFinished(() => void server.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      server.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
      server.on('close', (code) => reject(new Error(`probe server exited with ${code}`)));
    });

    // bash's /dev/tcp makes a plain connection and prints the server's answer.
    const call = (host: string, uid?: number) => inNetns(netns, 'bash', ['-c', 'exec 3<>"/dev/tcp/$0/80" && cat <&3', host], uid);
    expect((await call('10.9.0.2')).stdout).toBe('outbound');
    expect((await call('10.9.0.1')).stdout).toBe('app');
    expect((await call('10.9.0.1', 1337)).stdout).toBe('inbound');
  });
});
