import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCacheDir, compileCacheEnv, warmUp, warmUpArgv } from './compile-cache.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mizzenctl-compile-cache-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file under a folder, recursively. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('compile cache', { timeout: 20_000 }, () => {
  it('gives each user a folder of its own that only it enters, under one every user enters', async () => {
    const uid = process.getuid!();
    const env = compileCacheEnv(dir, uid);
    expect(env.NODE_COMPILE_CACHE).toBe(compileCacheDir(dir, uid));
    const own = await stat(env.NODE_COMPILE_CACHE);
    expect(own.uid).toBe(uid);
    expect(own.mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, '.compile-cache'))).mode & 0o777).toBe(0o755);
    // Asking again changes nothing.
    expect(compileCacheEnv(dir, uid)).toEqual(env);
  });

  it('fills the cache with the modules a warm-up loads', async () => {
    const module = join(dir, 'greeting.ts');
    await writeFile(module, "const greeting: string = 'hello';\nexport default greeting;\n");
    const env = compileCacheEnv(join(dir, 'warm'), process.getuid!());
    expect(await warmUp(warmUpArgv(process.execPath, [module]), { ...env })).toBeUndefined();
    expect((await filesUnder(env.NODE_COMPILE_CACHE)).length).toBeGreaterThan(0);
  });

  it('says why a warm-up failed, without throwing', async () => {
    const failure = await warmUp(warmUpArgv(process.execPath, [join(dir, 'missing.ts')]), {});
    expect(failure).toMatch(/exit code 1: .*missing\.ts/);
    expect(await warmUp([join(dir, 'no-such-node')], {})).toMatch(/ENOENT/);
  });
});
