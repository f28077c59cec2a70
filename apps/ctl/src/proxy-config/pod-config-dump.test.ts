import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMeshDirs, meshPaths, saveRecord } from '../local/mesh-state.ts';
import { fetchProxyAdmin, findLocalPod, recordedPods, type NetnsExec } from './pod-config-dump.ts';

const pods = [
  { name: 'reviews-v1-5d8f9c7b6-x2k4p', namespace: 'default', netns: 'mz-a-1', ip: '10.244.0.12' },
  { name: 'reviews-v2-6c9b8d7f5-q8r2s', namespace: 'default', netns: 'mz-a-2', ip: '10.244.0.13' },
  { name: 'ratings-v1-7f6d5c4b3-m3n4o', namespace: 'shop', netns: 'mz-a-3', ip: '10.244.0.14' },
];

describe('findLocalPod', () => {
  it('finds a pod by name or unique prefix, namespace default', () => {
    expect(findLocalPod(pods, 'reviews-v2-6c9b8d7f5-q8r2s').netns).toBe('mz-a-2');
    expect(findLocalPod(pods, 'reviews-v1').netns).toBe('mz-a-1');
    expect(findLocalPod(pods, 'ratings.shop').netns).toBe('mz-a-3');
    expect(findLocalPod(pods, 'ratings', 'shop').netns).toBe('mz-a-3');
    expect(findLocalPod(pods, 'reviews-v1.default', 'shop').netns).toBe('mz-a-1');
  });

  it('says when a pod is unknown or a prefix ambiguous', () => {
    expect(() => findLocalPod(pods, 'ratings')).toThrow('pod ratings in namespace default: not in any running local mesh');
    expect(() => findLocalPod(pods, 'reviews')).toThrow('pod reviews: ambiguous, matches reviews-v1-5d8f9c7b6-x2k4p, reviews-v2-6c9b8d7f5-q8r2s');
  });
});

describe('recordedPods', () => {
  it('reads the pods of every recorded mesh', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mizzenctl-pc-'));
    try {
      expect(recordedPods(root)).toEqual([]);
      const paths = meshPaths(root, 'a1b2c3');
      createMeshDirs(paths);
      saveRecord(paths, { id: 'a1b2c3', configDir: '.', runner: { pid: 1, startTime: null }, pods, processes: [] });
      expect(recordedPods(root).map((p) => p.name)).toEqual(pods.map((p) => p.name));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('fetchProxyAdmin', () => {
  const answering = (code: number, stdout: string, stderr = ''): NetnsExec => async () => ({ code, stdout, stderr });

  it("asks the proxy's admin port inside the pod's namespace", async () => {
    const calls: string[][] = [];
    const exec: NetnsExec = async (netns, command, args) => {
      calls.push([netns, command, ...args]);
      return { code: 0, stdout: '{"configs":[]}', stderr: '' };
    };
    expect(await fetchProxyAdmin(pods[0], '/config_dump?include_eds', exec)).toEqual({ configs: [] });
    expect(calls[0].slice(0, 2)).toEqual(['mz-a-1', 'curl']);
    expect(calls[0].at(-1)).toBe('http://127.0.0.1:15000/config_dump?include_eds');
  });

  it('says when the proxy does not answer, or not with JSON', async () => {
    await expect(fetchProxyAdmin(pods[0], '/config_dump', answering(7, '', 'curl: (7) Failed to connect'))).rejects.toThrow(
      'pod reviews-v1-5d8f9c7b6-x2k4p.default: its proxy does not answer http://127.0.0.1:15000/config_dump (curl: (7) Failed to connect)',
    );
    await expect(fetchProxyAdmin(pods[0], '/config_dump', answering(0, 'no such admin path'))).rejects.toThrow('did not return JSON');
  });
});
