import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript } from '@mizzen/testing';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));

// The istiod command with --monitoring-address, as a process; starting Node can take seconds.
describe('istiod --monitoring-address', { timeout: 30_000 }, () => {
  it('serves /metrics where it is told', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mizzen-istiod-metrics-'));
    await copyFile(new URL('../networking/testdata/bookinfo.yaml', import.meta.url), join(dir, 'bookinfo.yaml'));
    const child = spawn(process.execPath, [main, '--config-dir', dir, '--xds-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0', '--monitoring-address', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (data: string) => {
          out += data;
          const match = /metrics on 127\.0\.0\.1:(\d+)\/metrics/.exec(out);
          if (match) resolve(Number(match[1]));
        });
        child.once('exit', (code) => reject(new Error(`istiod exited with ${code}: ${out}`)));
      });
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toContain('\npilot_services 4\n');
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on a malformed address', async () => {
    const { code, stderr } = await runScript(main, ['--config-dir', '.', '--monitoring-address', 'metrics']);
    expect({ code, stderr }).toEqual({ code: 2, stderr: expect.stringContaining("option '--monitoring-address <host:port>' argument 'metrics' is invalid") });
  });
});
