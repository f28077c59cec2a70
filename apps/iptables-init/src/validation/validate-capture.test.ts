import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, type TestContext } from 'vitest';

// --run-validation for real, as root, in network namespaces of the tests' own.
const exec = promisify(execFile);
const main = fileURLToPath(new URL('../main.ts', import.meta.url));
const SIDECAR = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-b', '*'];

let count = 0;

async function freshNetns({ onTestFinished }: TestContext): Promise<string> {
  const name = `mzival-${process.pid}-${count++}`;
  await exec('ip', ['netns', 'add', name]);
  onTestFinished(() => exec('ip', ['netns', 'del', name]).then(() => undefined));
  await exec('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

function iptablesInit(netns: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, main, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('iptables-init --run-validation', { timeout: 45_000 }, () => {
  it('proves that the rules it applied redirect the proxy’s loopback traffic, original destination included', async (context) => {
    const netns = await freshNetns(context);
    const result = await iptablesInit(netns, [...SIDECAR, '--run-validation', '--iptables-probe-port', '15102']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# validation: a connection to 127.0.0.6:15102 reached port 15006 with its original destination\n');

    // The rules are in place now: checking them alone passes too, as istio-validation does.
    const check = await iptablesInit(netns, [...SIDECAR, '--skip-rule-apply', '--run-validation']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
  });

  it('checks IPv6 too when it writes IPv6 rules', async (context) => {
    const netns = await freshNetns(context);
    const result = await iptablesInit(netns, [...SIDECAR, '--dual-stack', '--run-validation']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# validation: a connection to 127.0.0.6:15002 reached port 15006 with its original destination\n');
    expect(result.stdout).toContain('# validation: a connection to [::6]:15002 reached port 15006 with its original destination\n');
  });

  it('fails, saying why, when nothing redirects', async (context) => {
    const netns = await freshNetns(context);
    const result = await iptablesInit(netns, [...SIDECAR, '--skip-rule-apply', '--run-validation', '--probe-timeout', '2s']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: validation failed: a connection to 127.0.0.6:15002 as uid 1337 was not redirected to port 15006: connection to 127.0.0.6:15002: connect ECONNREFUSED 127.0.0.6:15002\n',
    );
  });

  it('fails when the inbound capture port is taken', async (context) => {
    const netns = await freshNetns(context);
    const holder = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', "require('node:net').createServer().listen(15006, '127.0.0.1', () => console.log('ready'))"]);
    const closed = new Promise((resolve) => holder.on('close', resolve));
    context.onTestFinished(async () => {
      holder.kill('SIGKILL');
      await closed;
    });
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const result = await iptablesInit(netns, [...SIDECAR, '--run-validation']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: validation failed: cannot listen on 127\.0\.0\.1:15006: listen EADDRINUSE/);
  });
});
