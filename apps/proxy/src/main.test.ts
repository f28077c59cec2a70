import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePort, runScript } from '@mizzen/testing';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const command = fileURLToPath(new URL('../bin/mizzen-proxy.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mizzen-proxy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const cluster = (extra: string): string => `{"static_resources":{"clusters":[{"name":"c","connect_timeout":"1s"${extra}}]}}`;

describe.concurrent('mizzen-proxy', { timeout: 30_000 }, () => {
  it('prints its usage with --help', async () => {
    const result = await runScript(main, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: mizzen-proxy');
  });

  it('exits 2 on a bad bootstrap, naming the file and the field', async () => {
    const result = await runScript(main, ['-c', file('unknown.json', cluster(',"colour":"red"'))]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown\.json: Bootstrap\.static_resources\.clusters\[0\]\.colour: unknown field/);
  });

  it('exits 2 on a bad flag, naming it', async () => {
    const result = await runScript(main, ['-c', 'x.json', '--log-level', 'loud']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--log-level');
  });

  it('serves admin and stops on /quitquitquit', async () => {
    const adminPort = await freePort();
    const bootstrap = file('admin.yaml', `admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${adminPort} } } }\n`);
    const child = spawn(process.execPath, [main, '-c', bootstrap], { stdio: ['ignore', 'ignore', 'pipe'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    // The proxy logs "started with" once admin and listeners are up.
    await new Promise<void>((resolve) => child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.includes('started with')) resolve();
    }));
    const ready = await fetch(`http://127.0.0.1:${adminPort}/ready`);
    expect(await ready.text()).toBe('LIVE\n');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await fetch(`http://127.0.0.1:${adminPort}/quitquitquit`, { method: 'POST' });
    expect(await exited).toBe(0);
  });

  it('runs as the mizzen-proxy command with a compile cache in the temporary folder', async () => {
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const env = { TMPDIR: tmp, NODE_COMPILE_CACHE: '' };
    const first = await runScript(command, ['--help'], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Usage: mizzen-proxy');
    // Node keeps one folder per version and flags, holding a file per module.
    const cache = join(tmp, 'node-compile-cache');
    const entries = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(entries.length).toBeGreaterThan(0);
    const second = await runScript(command, ['-c', file('cached.json', cluster(',"colour":"red"'))], { env });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/cached\.json: Bootstrap\.static_resources\.clusters\[0\]\.colour: unknown field/);
  });
});
