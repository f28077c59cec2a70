import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { localCommand } from './local-command.ts';
import { createMeshDirs, meshPaths, saveRecord } from './mesh-state.ts';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A state folder holding the record a killed runner left: one pod whose namespace is gone. */
function stateWithOneMesh(): string {
  const root = mkdtempSync(join(tmpdir(), 'mz-status-'));
  made.push(root);
  const paths = meshPaths(root, 'abc123');
  createMeshDirs(paths);
  saveRecord(paths, {
    id: 'abc123',
    configDir: '/srv/manifests',
    runner: { pid: 2 ** 22 + 1, startTime: null },
    subnet: '10.244.7.0/24',
    serviceRange: '10.245.7.0/24',
    pods: [{ name: 'hello-backend-5d4f-x7k2p', namespace: 'default', ip: '10.244.7.2', netns: 'mz-abc123-hello-backend-5d4f-x7k2p' }],
    processes: [],
  });
  return root;
}

async function status(args: string[]): Promise<{ out: string; code: number | undefined }> {
  let out = '';
  let code: number | undefined;
  await localCommand({ out: (text) => (out += text), err: () => {} }, (c) => (code = c)).parseAsync(['status', ...args], { from: 'user' });
  return { out, code };
}

describe('mizzenctl local status', () => {
  it('gives the meshes and their pods as data with -o json or yaml', async () => {
    const root = stateWithOneMesh();
    const expected = {
      meshes: [
        {
          id: 'abc123',
          configDir: '/srv/manifests',
          podRange: '10.244.7.0/24',
          serviceRange: '10.245.7.0/24',
          runner: 'gone',
          istiodState: '?',
          istiod: 'istiod: not started',
          pods: [{ name: 'hello-backend-5d4f-x7k2p', namespace: 'default', ip: '10.244.7.2', ready: 'no netns', sync: '-', containers: '-' }],
        },
      ],
    };
    const json = await status(['--state-dir', root, '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(expected);
    expect(parse((await status(['--state-dir', root, '-o', 'yaml'])).out)).toEqual(expected);
  });

  it('prints the same as a table by default, and an empty list as data when no mesh is recorded', async () => {
    const table = await status(['--state-dir', stateWithOneMesh()]);
    expect(table.out).toContain('mesh abc123 (/srv/manifests) on 10.244.7.0/24, services on 10.245.7.0/24: runner gone\n  istiod: ?\n');
    expect(table.out).toMatch(/hello-backend-5d4f-x7k2p\s+default\s+10\.244\.7\.2\s+no netns\s+-\s+-/);
    const empty = mkdtempSync(join(tmpdir(), 'mz-status-'));
    made.push(empty);
    expect(JSON.parse((await status(['--state-dir', empty, '-o', 'json'])).out)).toEqual({ meshes: [] });
    expect((await status(['--state-dir', empty])).out).toBe('no local mesh\n');
  });
});
